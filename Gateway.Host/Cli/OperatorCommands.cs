using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gateway.Configuration;
using Gateway.Host.Admin;

namespace Gateway.Host.Cli;

/// <summary>
/// The commands an operator types: check a file (as <c>nginx -t</c>), print the effective config, ask a running
/// gateway for its state, drain it and watch, hot-restart it. Plain, greppable lines by default; <c>--json</c> for machines.
/// </summary>
internal static class OperatorCommands
{
    public static int Check(string? configPath, CommandOutput output)
    {
        if (Load(configPath, output) is not { } settings) return ExitCodes.Config;
        output.Result(new CheckResult(true, settings.Source, settings.Listeners.Count, settings.Routes.Count, settings.Upstreams.Count,
                settings.Drain.Deadline.TotalSeconds, settings.Notes), CommandJson.Readable.CheckResult,
            $"ok: {settings.Source}: {settings.Listeners.Count} listener(s), {settings.Routes.Count} route(s), " +
            $"{settings.Upstreams.Count} upstream(s), announce {Seconds(settings.Drain.Announce)}, deadline {Seconds(settings.Drain.Deadline)}");
        foreach (var note in settings.Notes) output.Note(note);
        return ExitCodes.Ok;
    }

    public static int PrintConfig(string? configPath, CommandOutput output)
    {
        if (Load(configPath, output) is not { } settings) return ExitCodes.Config;
        output.Result(EffectiveConfig.Json(settings), CommandJson.Readable.JsonObject, EffectiveConfig.Hocon(settings));
        return ExitCodes.Ok;
    }

    /// <summary>Loads and validates; every problem is written and null returned.</summary>
    private static GatewaySettings? Load(string? configPath, CommandOutput output)
    {
        try
        {
            return ConfigArgument.Load(configPath);
        }
        catch (GatewayConfigException e)
        {
            output.ConfigError(e);
            return null;
        }
    }

    /// <summary>The gateway's state once, or with <paramref name="watch"/> redrawn every second until interrupted.</summary>
    public static async Task<int> StatusAsync(AdminApi admin, bool watch, CommandOutput output, CancellationToken cancellationToken)
    {
        // On a terminal the block is redrawn in place (as drain --wait does its line); otherwise each one follows the last.
        var live = watch && !output.Json && !Console.IsOutputRedirected;
        var drawn = 0;
        while (true)
        {
            var status = await StatusView.ReadAsync(admin, cancellationToken);
            if (output.Json) output.Out.WriteLine(status.Json());
            else
            {
                var lines = status.Lines(watch ? DateTime.Now : null);
                if (live && drawn > 0) output.Out.Write($"\u001b[{drawn}F\u001b[J");
                foreach (var line in lines) output.Out.WriteLine(line);
                if (watch && !live) output.Out.WriteLine();
                drawn = lines.Count;
            }
            if (!watch) return ExitCodes.Ok;
            await Task.Delay(SampleIntervalMs, cancellationToken);
        }
    }

    private const int SampleIntervalMs = 1000;

    /// <summary>Starts a drain; with <paramref name="wait"/>, shows it until done: 0 when drained, 1 when something was forced.</summary>
    public static async Task<int> DrainAsync(AdminApi admin, string? listener, bool wait, CommandOutput output, CancellationToken cancellationToken)
    {
        var forcedBefore = Forced(await admin.GetAsync("/drain", AdminJson.Default.DrainReport, cancellationToken), listener);
        var answer = await admin.PostAsync(listener is null ? "/drain" : $"/drain?listener={Uri.EscapeDataString(listener)}", cancellationToken);
        if (answer.Status == 404 && listener is not null)
            return output.Fail(ExitCodes.Usage, $"--listener {listener}: the gateway has no such listener (it has: " +
                string.Join(", ", answer.Read(AdminJson.Default.DrainAnswer).Report.Listeners.Select(l => l.Name)) + ")");
        if (answer.Status is not (202 or 409))
            return output.Fail(ExitCodes.Failed, $"drain refused ({answer.Status}): {answer.Read(AdminJson.Default.AdminRefusal).Result}");
        if (!wait)
        {
            output.Result(answer, $"drain {(answer.Status == 202 ? "started" : "already under way")}");
            return ExitCodes.Ok;
        }

        // On a terminal one line is redrawn in place; otherwise (a pipe, a log) every sample is its own line.
        var live = !output.Json && !Console.IsOutputRedirected;
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var report = await admin.GetAsync("/drain", AdminJson.Default.DrainReport, cancellationToken);
            var listeners = report.Listeners.Where(l => listener is null || l.Name == listener).ToList();
            var open = listeners.Sum(l => l.Open);
            var inFlight = listeners.Sum(l => l.InFlight);
            var left = report.SecondsToDeadline;
            var phase = report.Phase;
            var done = listener is null
                ? phase == "Drained"
                : listeners.All(l => !l.Accepting && l.Open == 0);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{watch.Elapsed.TotalSeconds,5:0.0}s  {phase,-10} open {open,4}  in-flight {inFlight,4}  {(left is null ? "" : $"{left:0.0}s to the deadline")}");
            if (output.Json) output.Out.WriteLine(JsonSerializer.Serialize(new DrainProgress(phase, open, inFlight, left), CommandJson.Readable.DrainProgress));
            else if (live) output.Out.Write($"\r\u001b[K{line}");
            else output.Out.WriteLine(line);
            if (done)
            {
                if (live) output.Out.WriteLine();
                var forced = Forced(report, listener) - forcedBefore;
                var outcome = report.Outcome;
                var failed = forced > 0 || outcome is "DeadlineExceeded" or "Aborted";
                output.Result(new DrainOutcome(!failed, forced, outcome), CommandJson.Readable.DrainOutcome,
                    failed
                        ? $"drained with {forced} connection(s) forced at the deadline; the gateway log names them"
                        : "drained: every connection finished on its own");
                return failed ? ExitCodes.Failed : ExitCodes.Ok;
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Takes a drain back (the whole gateway, or one listener): 0 once it serves again, 1 with the reason when it cannot.</summary>
    public static async Task<int> UndrainAsync(AdminApi admin, string? listener, CommandOutput output, CancellationToken cancellationToken)
    {
        var answer = await admin.PostAsync(listener is null ? "/undrain" : $"/undrain?listener={Uri.EscapeDataString(listener)}", cancellationToken);
        if (answer.Status == 200)
        {
            output.Result(answer, listener is null ? "serving again: every listener accepts connections, ready" : $"serving again: listener {listener} accepts connections");
            return ExitCodes.Ok;
        }
        var refused = answer.Read(AdminJson.Default.AdminRefusal);
        return output.Fail(ExitCodes.Failed, $"undrain refused ({answer.Status}): {refused.Result}{(refused.Reason is { } reason ? $": {reason}" : "")}");
    }

    /// <summary>The new process's output file when <c>--log</c> names none: beside the config, one per generation.</summary>
    public static string DefaultLog(string configPath, int generation) =>
        Path.Combine(Path.GetDirectoryName(configPath)!, $"{Path.GetFileNameWithoutExtension(configPath)}.gen{generation}.log");

    /// <summary>Hot-restarts the gateway running with <paramref name="configPath"/> and waits for the handover.</summary>
    public static async Task<int> RestartAsync(AdminApi admin, string configPath, string? logPath, CommandOutput output, CancellationToken cancellationToken)
    {
        var before = await admin.GetAsync("/drain", AdminJson.Default.DrainReport, cancellationToken);
        var (generation, oldPid) = (before.Generation, before.Pid);
        var log = Path.GetFullPath(logPath ?? DefaultLog(configPath, generation + 1));
        try
        {
            File.WriteAllText(log, "");  // a new file for each generation, never appended to an old one
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return output.Fail(ExitCodes.Failed, $"cannot write the new process's log {log}: {e.Message}; name a writable file with --log FILE");
        }
        using var successor = Successor.Start(configPath, log);
        output.Out.WriteLine($"started generation {generation + 1} (pid {successor.Id}, its output in {log}); generation {generation} (pid {oldPid}) drains once it is ready");

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromSeconds(120));
        try
        {
            while (true)
            {
                if (successor.HasExited)
                {
                    // Its own words (a config error, the running gateway's refusal), then the truth about the running one.
                    var code = successor.ExitCode;
                    var running = await TryGetAsync(admin, limit.Token);
                    var serving = running?.Ready == true;
                    output.Fail(code, $"the new process (generation {generation + 1}) exited with {code}; generation {generation} " + (serving
                        ? "keeps serving"
                        : $"is {running?.State ?? "unreachable"} ({running?.Phase ?? "?"}) and does not serve: `undrain` it, or wait for its drain to end") + ". Its reason:");
                    foreach (var line in Successor.Reason(log)) Console.Error.WriteLine(line);
                    Console.Error.WriteLine($"(its whole output: {log})");
                    return code == ExitCodes.Config ? ExitCodes.Config : ExitCodes.Failed;
                }
                var now = await TryGetAsync(admin, limit.Token);
                if (now?.Generation == generation + 1 && !Directory.Exists($"/proc/{oldPid}"))
                {
                    output.Out.WriteLine($"generation {generation + 1} serves; generation {generation} has exited");
                    return ExitCodes.Ok;
                }
                await Task.Delay(200, limit.Token);
            }
        }
        catch (OperationCanceledException)
        {
            return output.Fail(ExitCodes.Failed, $"the restart did not complete within 120s; see {log}");
        }
    }

    private static async Task<DrainReport?> TryGetAsync(AdminApi admin, CancellationToken cancellationToken)
    {
        try
        {
            return await admin.GetAsync("/drain", AdminJson.Default.DrainReport, cancellationToken);
        }
        catch (AdminApiException)
        {
            return null;  // the admin socket is being handed over
        }
    }

    private static long Forced(DrainReport report, string? listener) =>
        report.Listeners.Where(l => listener is null || l.Name == listener).Sum(l => l.Forced);

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.###}s");
}
