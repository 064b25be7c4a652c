using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gateway.Configuration;

namespace Gateway.Host.Cli;

/// <summary>
/// The commands an operator types: check a file (as <c>nginx -t</c>), print the effective config, ask a running
/// gateway for its state, drain it and watch, hot-restart it. Plain, greppable lines by default; <c>--json</c> for machines.
/// </summary>
internal static class OperatorCommands
{
    public static int Check(string? configPath, bool json, TextWriter output, TextWriter error)
    {
        if (Load(configPath, json, output, error) is not { } settings) return ExitCodes.Config;
        output.WriteLine(json
            ? JsonSerializer.Serialize(new
            {
                ok = true,
                file = settings.Source,
                listeners = settings.Listeners.Count,
                routes = settings.Routes.Count,
                upstreams = settings.Upstreams.Count,
                deadlineSeconds = settings.Drain.Deadline.TotalSeconds,
                notes = settings.Notes,
            })
            : $"ok: {settings.Source}: {settings.Listeners.Count} listener(s), {settings.Routes.Count} route(s), " +
              $"{settings.Upstreams.Count} upstream(s), announce {Seconds(settings.Drain.Announce)}, deadline {Seconds(settings.Drain.Deadline)}");
        if (!json)
            foreach (var note in settings.Notes) error.WriteLine($"gateway: note: {note}");
        return ExitCodes.Ok;
    }

    public static int PrintConfig(string? configPath, bool json, TextWriter output, TextWriter error)
    {
        if (Load(configPath, json, output, error) is not { } settings) return ExitCodes.Config;
        output.WriteLine(json ? JsonSerializer.Serialize(EffectiveConfig.Json(settings)) : EffectiveConfig.Hocon(settings));
        return ExitCodes.Ok;
    }

    /// <summary>Loads and validates; every problem is written (one line each, or one JSON object) and null returned.</summary>
    private static GatewaySettings? Load(string? configPath, bool json, TextWriter output, TextWriter error)
    {
        try
        {
            return GatewayConfigLoader.Load(configPath);
        }
        catch (GatewayConfigException e)
        {
            if (json)
                output.WriteLine(JsonSerializer.Serialize(new { ok = false, problems = e.Problems.Select(p => new { file = p.File, line = p.Line, column = p.Column, key = p.Key, problem = p.Problem }) }));
            else
                foreach (var problem in e.Problems)
                    error.WriteLine($"gateway: configuration error: {problem.Message}");
            return null;
        }
    }

    public static async Task<int> StatusAsync(AdminApi admin, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var report = await admin.GetAsync("/drain", cancellationToken);
        if (json)
        {
            output.WriteLine(report.GetRawText());
            return ExitCodes.Ok;
        }
        output.WriteLine($"generation {report.GetProperty("generation")}  pid {report.GetProperty("pid")}  " +
            $"{(report.GetProperty("ready").GetBoolean() ? "ready" : "not-ready")}  {report.GetProperty("state").GetString()} ({report.GetProperty("phase").GetString()})");
        output.WriteLine($"{"listener",-12} {"address",-22} {"accepting",-9} {"open",5} {"active",6} {"in-flight",9} {"streams",7} {"forced",6}");
        foreach (var l in report.GetProperty("listeners").EnumerateArray())
            output.WriteLine($"{l.GetProperty("name").GetString(),-12} {l.GetProperty("address").GetString(),-22} " +
                $"{(l.GetProperty("accepting").GetBoolean() ? "yes" : "no"),-9} {l.GetProperty("open").GetInt64(),5} {l.GetProperty("active").GetInt64(),6} " +
                $"{l.GetProperty("inFlight").GetInt64(),9} {l.GetProperty("streams").GetInt64(),7} {l.GetProperty("forced").GetInt64(),6}");
        return ExitCodes.Ok;
    }

    /// <summary>Starts a drain; with <paramref name="wait"/>, shows it until done: 0 when drained, 1 when something was forced.</summary>
    public static async Task<int> DrainAsync(AdminApi admin, string? listener, bool wait, bool json, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var forcedBefore = Forced(await admin.GetAsync("/drain", cancellationToken), listener);
        var (status, body) = await admin.PostAsync(listener is null ? "/drain" : $"/drain?listener={Uri.EscapeDataString(listener)}", cancellationToken);
        if (status is not (202 or 409))
        {
            error.WriteLine($"gateway: drain refused ({status}): {body.GetProperty("result").GetString()}");
            return ExitCodes.Failed;
        }
        if (!wait)
        {
            output.WriteLine(json ? body.GetRawText() : $"drain {(status == 202 ? "started" : "already under way")}");
            return ExitCodes.Ok;
        }

        // On a terminal one line is redrawn in place; otherwise (a pipe, a log) every sample is its own line.
        var live = !json && !Console.IsOutputRedirected;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var report = await admin.GetAsync("/drain", cancellationToken);
            var listeners = report.GetProperty("listeners").EnumerateArray()
                .Where(l => listener is null || l.GetProperty("name").GetString() == listener).ToList();
            var open = listeners.Sum(l => l.GetProperty("open").GetInt64());
            var inFlight = listeners.Sum(l => l.GetProperty("inFlight").GetInt64());
            var left = report.GetProperty("secondsToDeadline") is { ValueKind: JsonValueKind.Number } s ? s.GetDouble() : (double?)null;
            var phase = report.GetProperty("phase").GetString();
            var done = listener is null
                ? phase == "Drained"
                : listeners.All(l => !l.GetProperty("accepting").GetBoolean() && l.GetProperty("open").GetInt64() == 0);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{watch.Elapsed.TotalSeconds,5:0.0}s  {phase,-10} open {open,4}  in-flight {inFlight,4}  {(left is null ? "" : $"{left:0.0}s to the deadline")}");
            if (json) output.WriteLine(JsonSerializer.Serialize(new { phase, open, inFlight, secondsToDeadline = left }));
            else if (live) output.Write($"\r\u001b[K{line}");
            else output.WriteLine(line);
            if (done)
            {
                if (live) output.WriteLine();
                var forced = Forced(report, listener) - forcedBefore;
                var outcome = report.GetProperty("outcome").GetString();
                var failed = forced > 0 || outcome is "DeadlineExceeded" or "Aborted";
                output.WriteLine(failed
                    ? $"drained with {forced} connection(s) forced at the deadline; the gateway log names them"
                    : "drained: every connection finished on its own");
                return failed ? ExitCodes.Failed : ExitCodes.Ok;
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Hot-restarts the gateway running with <paramref name="configPath"/> and waits for the handover.</summary>
    public static async Task<int> RestartAsync(AdminApi admin, string configPath, string logPath, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var before = await admin.GetAsync("/drain", cancellationToken);
        var generation = before.GetProperty("generation").GetInt32();
        var oldPid = before.GetProperty("pid").GetInt32();
        // The new gateway outlives this command: its output goes to a file (by exec, so its PID is the gateway's).
        var command = new List<string> { Environment.ProcessPath ?? "dotnet" };
        if (Path.GetFileNameWithoutExtension(command[0]) == "dotnet") command.Add(typeof(Program).Assembly.Location);
        command.AddRange(["--config", Path.GetFullPath(configPath), "--hot-restart"]);
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" >> \"$0\" 2>&1");
        info.ArgumentList.Add(Path.GetFullPath(logPath));
        foreach (var part in command) info.ArgumentList.Add(part);
        using var successor = Process.Start(info)!;
        output.WriteLine($"started generation {generation + 1} (pid {successor.Id}, log {Path.GetFullPath(logPath)}); generation {generation} (pid {oldPid}) drains once it is ready");

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            while (true)
            {
                if (successor.HasExited)
                {
                    error.WriteLine($"gateway: the new process exited with {successor.ExitCode}; generation {generation} keeps serving");
                    return ExitCodes.Failed;
                }
                var now = await TryGetAsync(admin, limit.Token);
                if (now?.GetProperty("generation").GetInt32() == generation + 1 && !Directory.Exists($"/proc/{oldPid}"))
                {
                    output.WriteLine($"generation {generation + 1} serves; generation {generation} has exited");
                    return ExitCodes.Ok;
                }
                await Task.Delay(200, limit.Token);
            }
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("gateway: the restart did not complete within 120s");
            return ExitCodes.Failed;
        }
    }

    private static async Task<JsonElement?> TryGetAsync(AdminApi admin, CancellationToken cancellationToken)
    {
        try
        {
            return await admin.GetAsync("/drain", cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private static long Forced(JsonElement report, string? listener) => report.GetProperty("listeners").EnumerateArray()
        .Where(l => listener is null || l.GetProperty("name").GetString() == listener)
        .Sum(l => l.GetProperty("forced").GetInt64());

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###}s");
}
