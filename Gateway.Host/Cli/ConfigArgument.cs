using Gateway.Configuration;

namespace Gateway.Host.Cli;

/// <summary>
/// The <c>--config</c> argument. A relative path is read from the folder the command runs in (the user's folder:
/// <c>dotnet run</c> keeps it, see Gateway.Host.csproj), and a folder is named for what it is (reading it would say
/// "access denied").
/// </summary>
internal static class ConfigArgument
{
    /// <summary>Loads the file named by <paramref name="path"/>, or the embedded default when it is null.</summary>
    /// <exception cref="GatewayConfigException">The path is a folder, or the file is missing, unreadable or invalid.</exception>
    public static GatewaySettings Load(string? path, bool readCertificates = true) =>
        GatewayConfigLoader.Load(Resolve(path), readCertificates);

    /// <summary>The full path of <paramref name="path"/>, checked not to be a folder.</summary>
    /// <exception cref="GatewayConfigException">The path is a folder.</exception>
    public static string? Resolve(string? path)
    {
        if (path is null) return null;
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full))
            throw new GatewayConfigException(full, "--config",
                $"is a directory, not a config file: name the file in it (for example --config {Path.Combine(path, "gateway.conf")})");
        return full;  // a missing or unreadable file is the loader's to report
    }
}
