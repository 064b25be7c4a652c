using Gateway.Hosting;
using Gateway.Lifecycle;

namespace Gateway.Host.Admin;

/// <summary>The admin API's reports, taken from the running gateway.</summary>
internal static class AdminReports
{
    /// <summary>GET /drain, and the report every drain and undrain answer carries.</summary>
    public static DrainReport Drain(GatewayRuntime runtime)
    {
        var state = runtime.State;
        var started = state.DrainStartedAt;
        var deadline = started is null ? null : state.Deadline;
        var left = deadline is { } d && state.Phase is not (GatewayPhase.Drained or GatewayPhase.Exiting)
            ? Math.Max(0, (d - state.Time.GetUtcNow()).TotalSeconds) : (double?)null;
        return new DrainReport(
            StateName(state.Phase, runtime.Cluster?.Gate.State.Status is Gateway.Cluster.SlotStatus.Requested or Gateway.Cluster.SlotStatus.Queued),
            runtime.Generation,
            Environment.ProcessId,
            state.Phase.ToString(),
            state.Ready,
            state.Reason?.ToString(),
            started,
            deadline,
            left,
            state.Result?.Outcome.ToString(),
            runtime.Listeners.All.Select(l => new ListenerReport(
                l.Name, l.Address.ToString(), runtime.Generation, l.Accepting, l.Counters.OpenConnections, l.Counters.IdleConnections,
                l.Counters.ActiveConnections, l.Counters.InFlightRequests, l.Counters.Streams, l.Counters.AcceptedConnections, l.Counters.ForcedConnections,
                l.Protocol.ToString().ToLowerInvariant(), ListenerStateName(runtime, l.Name), l.Counters.Requests)).ToList());
    }

    /// <summary>serving, queued (a cluster node waiting for a drain slot, still serving), draining, drained.</summary>
    private static string StateName(GatewayPhase phase, bool queued) => phase switch
    {
        GatewayPhase.Serving => queued ? "queued" : "serving",
        GatewayPhase.Drained or GatewayPhase.Exiting => "drained",
        GatewayPhase.Resuming => "resuming",
        _ => "draining",
    };

    /// <summary>A listener drained alone says so; otherwise it is where the gateway is.</summary>
    private static string ListenerStateName(GatewayRuntime runtime, string listener) =>
        runtime.State.Phase == GatewayPhase.Serving ? StateName(runtime.ListenerState(listener).Phase, queued: false) : StateName(runtime.State.Phase, queued: false);

    /// <summary>GET /history: <paramref name="samples"/>, the phase changes since <paramref name="since"/>, the drain under way.</summary>
    public static HistoryReport History(GatewayRuntime runtime, SampleHistory history, IReadOnlyList<Sample> samples, long since)
    {
        var state = runtime.State;
        var started = state.DrainStartedAt;
        return new HistoryReport(
            SampleHistory.Interval.TotalSeconds,
            SampleHistory.Capacity,
            state.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            samples,
            history.MarksSince(since),
            started is null ? null : new HistoryDrain(started.Value.ToUnixTimeMilliseconds(), state.Deadline?.ToUnixTimeMilliseconds(), state.Reason?.ToString()));
    }

    /// <summary>GET /config: the effective configuration, secrets masked, the generation and what each TLS listener serves.</summary>
    public static ConfigReport Config(GatewayRuntime runtime) => new(
        runtime.Generation,
        runtime.Listeners.All.ToDictionary(l => l.Name, l => l.Address.ToString()),
        runtime.Settings.Source,
        Cli.EffectiveConfig.Json(runtime.Settings),
        runtime.Listeners.All.Where(l => l.Tls is not null).ToDictionary(l => l.Name, l => new TlsReport(
            [.. l.Tls!.InService.Select(c => new CertificateReport(c.Name, c.Subject, c.SubjectAlternativeNames, c.Serial, c.NotBefore, c.NotAfter,
                Math.Round(c.DaysToExpiry(runtime.State.Time.GetUtcNow()), 2), c.File))],
            Enum.GetValues<Gateway.Tls.TlsRefusal>().ToDictionary(Gateway.Tls.TlsRefusalNames.Of, l.Counters.TlsRefused))));
}
