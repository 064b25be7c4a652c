using Gateway.Tests.Support;

namespace Gateway.Tests.Cli;

/// <summary>The built executable as an operator runs it, and the config files the command-line tests give it.</summary>
internal static class OperatorCli
{
    /// <summary>Runs a command to its end (bounded); <paramref name="folder"/> is the folder it runs in.</summary>
    public static async Task<GatewayProcess> RunAsync(string[] args, string? folder = null)
    {
        var cli = GatewayProcess.StartCommand("dotnet", [GatewayProcess.HostDll, .. args], folder);
        await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return cli;
    }

    public static Task<GatewayProcess> RunAsync(params string[] args) => RunAsync(args, folder: null);

    /// <summary>Writes <paramref name="hocon"/> to a new temp file; returns its path.</summary>
    public static string Write(string hocon)
    {
        var file = Path.Combine(Path.GetTempPath(), $"gateway-cli-{Guid.NewGuid():N}.conf");
        File.WriteAllText(file, hocon);
        return file;
    }

    /// <summary>One listener and the admin API on free ports, everything forwarded to <paramref name="upstream"/>.</summary>
    public static string Config(UpstreamServer upstream, string deadline = "20s", string responseTimeout = "60s", string extra = "") => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{upstream.Endpoint}}"], response-timeout = {{responseTimeout}} }
          routes.app { listener = public, path-prefix = "/", upstream = app }
          drain.deadline = {{deadline}}
          {{extra}}
        }
        """;
}
