using Xunit;

namespace Gateway.Tests.Support;

/// <summary>Needs curl, a command-line HTTP client (HTTP/1.1 and HTTP/2).</summary>
public sealed class CurlFactAttribute() : DebianFactAttribute("curl", Curl)
{
    public const string Curl = "/usr/bin/curl";
}

/// <summary>Needs nghttp, nghttp2's HTTP/2 client.</summary>
public sealed class NghttpFactAttribute() : DebianFactAttribute("nghttp2-client", Nghttp)
{
    public const string Nghttp = "/usr/bin/nghttp";
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
        var path = new[] { "/usr/bin", "/usr/local/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException($"{tool} is not installed");
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
