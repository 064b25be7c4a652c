using System.Diagnostics;

namespace Gateway.Host.Cli;

/// <summary>The new generation that <c>restart</c> starts: this same executable with <c>--hot-restart</c>.</summary>
internal static class Successor
{
    /// <summary>Starts it with its output in <paramref name="log"/> (by exec, so that its PID is the gateway's).</summary>
    public static Process Start(string configPath, string log)
    {
        // The launcher (gateway, Gateway.Host) runs itself; under `dotnet Gateway.Host.dll` the dll is named again.
        var command = new List<string> { Environment.ProcessPath ?? "dotnet" };
        if (Path.GetFileNameWithoutExtension(command[0]) == "dotnet") command.Add(typeof(Program).Assembly.Location);
        command.AddRange(["--config", configPath, "--hot-restart"]);
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" >> \"$0\" 2>&1");
        info.ArgumentList.Add(log);
        foreach (var part in command) info.ArgumentList.Add(part);
        return Process.Start(info)!;
    }

    /// <summary>
    /// Why a successor that exited failed, from its output: the lines it wrote as errors (<c>gateway: …</c>), or else
    /// its last lines (an unhandled exception, say).
    /// </summary>
    public static IReadOnlyList<string> Reason(string log)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(log);
        }
        catch (IOException)
        {
            return [];
        }
        var errors = lines.Where(l => l.StartsWith("gateway: ", StringComparison.Ordinal)).ToList();
        return errors.Count > 0 ? errors : lines.TakeLast(10).ToList();
    }
}
