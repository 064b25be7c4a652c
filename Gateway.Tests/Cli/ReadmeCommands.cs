using System.Text.RegularExpressions;

namespace Gateway.Tests.Cli;

/// <summary>
/// The commands of the README, read from its <c>```sh</c> blocks (one command a line, a trailing <c># …</c> being
/// its comment), so that the tests run what a reader types and cannot drift from it.
/// </summary>
internal static partial class ReadmeCommands
{
    public static string Repo => Deploy.DeployFilesTests.Repo();

    public static string Text => File.ReadAllText(Path.Combine(Repo, "README.md"));

    /// <summary>Every command, in the order of the README.</summary>
    public static IReadOnlyList<string> All()
    {
        var commands = new List<string>();
        var inBlock = false;
        foreach (var line in Text.Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inBlock = !inBlock && line.Trim() == "```sh";
                continue;
            }
            if (inBlock && Comment().Replace(line, "").Trim() is { Length: > 0 } command) commands.Add(command);
        }
        return commands;
    }

    /// <summary>The first <c>```hocon</c> block after <paramref name="heading"/>.</summary>
    public static string Hocon(string heading)
    {
        var text = Text;
        var start = text.IndexOf("```hocon\n", text.IndexOf(heading, StringComparison.Ordinal), StringComparison.Ordinal) + "```hocon\n".Length;
        return text[start..text.IndexOf("```", start, StringComparison.Ordinal)];
    }

    /// <summary>The folder the README's <c>dotnet publish</c> writes to (relative to the folder it runs in).</summary>
    public static string PublishOutput() =>
        All().Select(c => PublishCommand().Match(c)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Single();

    /// <summary>The tag the README's container build gives the image.</summary>
    public static string ImageTag() =>
        All().Select(c => ImageBuild().Match(c)).Where(m => m.Success).Select(m => m.Groups[1].Value).Distinct().Single();

    [GeneratedRegex(@"\s+#\s.*$")]
    private static partial Regex Comment();

    [GeneratedRegex(@"^dotnet publish Gateway\.Host -c Release -o (\S+)$")]
    internal static partial Regex PublishCommand();

    [GeneratedRegex(@"^podman build -f deploy/container/Containerfile -t (\S+) \.$")]
    internal static partial Regex ImageBuild();
}
