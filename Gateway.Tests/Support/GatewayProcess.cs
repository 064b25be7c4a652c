using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Gateway.Tests.Support;

/// <summary>
/// The built Gateway.Host as a real child process (<c>dotnet Gateway.Host.dll</c>, the dotnet process itself, so
/// signals reach the gateway and not a wrapper shell). Output lines are kept with the time they arrived.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<(DateTime At, string Line)> _lines = new();
    private readonly SemaphoreSlim _lineArrived = new(0);
    private readonly TaskCompletionSource<DateTime> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GatewayProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    /// <summary>Every line written to stdout and stderr so far.</summary>
    public IReadOnlyList<string> Output => _lines.Select(l => l.Line).ToList();

    public string OutputText => string.Join('\n', Output);

    /// <summary>The exit code, once it has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>When the process was seen to exit.</summary>
    public Task<DateTime> Exited => _exited.Task;

    /// <summary>The Gateway.Host.dll built next to the tests (the test project references Gateway.Host).</summary>
    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "Gateway.Host.dll");

    /// <summary>The config file this process was started with, when it was started with one.</summary>
    public string? ConfigPath { get; private set; }

    /// <summary>Writes <paramref name="config"/> to a temp file and starts the gateway on it.</summary>
    public static GatewayProcess StartWithConfig(string config, params string[] extraArgs)
    {
        var file = Path.Combine(Path.GetTempPath(), $"gateway-test-{Guid.NewGuid():N}.conf");
        File.WriteAllText(file, config);
        return StartWithConfigFile(file, extraArgs);
    }

    /// <summary>Starts the gateway on an existing config file (a hot restart names the file of the running one).</summary>
    public static GatewayProcess StartWithConfigFile(string file, params string[] extraArgs)
    {
        var process = Start(["--config", file, .. extraArgs]);
        process.ConfigPath = file;
        return process;
    }

    public static GatewayProcess Start(params string[] args) => StartCommand("dotnet", [HostDll, .. args]);

    /// <summary>Starts the gateway with <paramref name="environment"/> added to (or, for a null value, taken from) its environment.</summary>
    public static GatewayProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        StartCommand("dotnet", [HostDll, .. args], environment: environment);

    /// <summary>Starts a command that execs the gateway (e.g. a socket activator), so its PID becomes the gateway's.</summary>
    /// <param name="workingDirectory">The folder it runs in (default: the test's); relative paths are read from there.</param>
    /// <param name="environment">Variables added to (or, for a null value, taken from) its environment.</param>
    public static GatewayProcess StartCommand(string fileName, string[] args, string? workingDirectory = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        foreach (var arg in args) info.ArgumentList.Add(arg);
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>()) info.Environment[name] = value;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var gateway = new GatewayProcess(process);
        process.OutputDataReceived += (_, e) => gateway.Add(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Add(e.Data);
        process.Exited += (_, _) => gateway._exited.TrySetResult(DateTime.UtcNow);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gateway;
    }

    private void Add(string? line)
    {
        if (line is null) return;
        _lines.Enqueue((DateTime.UtcNow, line));
        _lineArrived.Release();
    }

    /// <summary>Waits for an output line matching <paramref name="pattern"/>; returns the match.</summary>
    public async Task<Match> WaitForLineAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            foreach (var (_, line) in _lines)
                if (regex.Match(line) is { Success: true } match)
                    return match;
            if (_exited.Task.IsCompleted && _lines.All(l => !regex.IsMatch(l.Line)))
            {
                await Task.Delay(100, CancellationToken.None); // let the last lines arrive
                if (_lines.FirstOrDefault(l => regex.IsMatch(l.Line)).Line is null)
                    throw new InvalidOperationException($"the gateway exited ({_process.ExitCode}) without printing /{pattern}/:\n{OutputText}");
                continue;
            }
            try
            {
                await _lineArrived.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"no line matching /{pattern}/ within {timeout.TotalSeconds}s:\n{OutputText}");
            }
        }
    }

    /// <summary>
    /// When the gateway logged the first output line matching <paramref name="pattern"/> (UTC), or null: the line's own
    /// "HH:mm:ss.fff" stamp, since lines come through a pipe and may be read in bursts; else when it arrived.
    /// </summary>
    public DateTime? FirstLineAt(string pattern)
    {
        var regex = new Regex(pattern);
        foreach (var (at, line) in _lines)
            if (regex.IsMatch(line)) return LoggedAt(line) ?? at;
        return null;
    }

    private static DateTime? LoggedAt(string line)
    {
        if (line.Length < 12 || !TimeOnly.TryParseExact(line.AsSpan(0, 12), "HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.None, out var time))
            return null;
        var logged = DateTime.SpecifyKind(DateTime.Today.Add(time.ToTimeSpan()), DateTimeKind.Local).ToUniversalTime();
        return logged > DateTime.UtcNow.AddMinutes(1) ? logged.AddDays(-1) : logged;  // logged just before midnight
    }

    /// <summary>Waits until the gateway is ready and returns the bound address of each listener (and "admin").</summary>
    public async Task<IReadOnlyDictionary<string, IPEndPoint>> WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        await WaitForLineAsync(@"Gateway generation \d+ ready", timeout ?? TimeSpan.FromSeconds(30));
        var addresses = new Dictionary<string, IPEndPoint>();
        foreach (var line in Output)
        {
            if (ListenerLine().Match(line) is { Success: true } l) addresses[l.Groups[1].Value] = IPEndPoint.Parse(l.Groups[2].Value);
            if (AdminLine().Match(line) is { Success: true } a) addresses["admin"] = IPEndPoint.Parse(a.Groups[1].Value);
        }
        return addresses;
    }

    [GeneratedRegex(@"Listener (\S+) listening on (?:https?|tcp)://(\S+)")]
    private static partial Regex ListenerLine();

    [GeneratedRegex(@"Admin listening on http://(\S+)")]
    private static partial Regex AdminLine();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    public const int SigInt = 2;
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>Sends a POSIX signal to the dotnet process itself.</summary>
    public void Signal(int signal) => Signal(_process.Id, signal);

    /// <summary>Sends a POSIX signal to a process this test started indirectly (e.g. through the restart command).</summary>
    public static void Signal(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Waits for the process to exit; returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the gateway (pid {Pid}) did not exit within {timeout.TotalSeconds}s:\n{OutputText}");
        }
        return _process.ExitCode;
    }

    /// <summary>Kills the process if it still runs (only this process, by its PID).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
