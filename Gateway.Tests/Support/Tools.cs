using Xunit;

namespace Gateway.Tests.Support;

/// <summary>
/// A test with a client from Debian (curl, nghttp). CI installs them and sets REQUIRE_TOOLS=1, so a missing one fails
/// there; on a developer machine without them the test is skipped with the apt command.
/// </summary>
public sealed class ToolFactAttribute : FactAttribute
{
    /// <summary>The Debian package of each tool.</summary>
    private static readonly Dictionary<string, string> Packages = new() { ["curl"] = "curl", ["nghttp"] = "nghttp2-client" };

    public ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => Path(t) is null).ToList();
        if (missing.Count > 0 && Environment.GetEnvironmentVariable("REQUIRE_TOOLS") != "1")
            Skip = $"needs {string.Join(", ", missing)}: apt-get install -y --no-install-recommends {string.Join(' ', missing.Select(t => Packages[t]))}";
    }

    /// <summary>The tool's path on this machine, or null.</summary>
    public static string? Path(string tool) =>
        new[] { "/usr/bin", "/usr/local/bin" }.Select(d => System.IO.Path.Combine(d, tool)).FirstOrDefault(File.Exists);
}

/// <summary>Runs a command-line client and collects what it printed, bounded in time.</summary>
public static class Tool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}\n{Error}";
    }

    /// <summary>Runs <paramref name="tool"/> with <paramref name="args"/>; a run past <paramref name="limit"/> is killed and fails.</summary>
    public static async Task<Result> RunAsync(string tool, TimeSpan limit, params string[] args)
    {
        var path = ToolFactAttribute.Path(tool) ?? throw new InvalidOperationException($"{tool} is not installed");
        var info = new System.Diagnostics.ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"{tool} {string.Join(' ', args)} ran longer than {limit.TotalSeconds}s");
        }
        return new Result(process.ExitCode, await output, await error);
    }
}
