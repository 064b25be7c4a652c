using Gateway.Hosting;
using Gateway.Lifecycle;

namespace Gateway.Host.Admin;

/// <summary>
/// Fills the <see cref="SampleHistory"/> from the lock-free listener counters: a sample every second, and the phase
/// looked at four times a second so that a short phase (an announce of 0 s) still gets its mark. Runs from start
/// until the process leaves, through a drain.
/// </summary>
internal sealed class AdminSampler(GatewayRuntime runtime, SampleHistory history) : BackgroundService
{
    private static readonly TimeSpan PhasePoll = TimeSpan.FromMilliseconds(250);
    private GatewayPhase? _phase;
    private long? _lastSample;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var time = runtime.State.Time;
        Tick(time.GetUtcNow());
        using var timer = new PeriodicTimer(PhasePoll, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Tick(time.GetUtcNow());
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Marks a phase change; takes a sample when a second has passed since the last one.</summary>
    internal void Tick(DateTimeOffset now)
    {
        var state = runtime.State;
        var phase = state.Phase;
        var t = now.ToUnixTimeMilliseconds();
        if (_phase is { } before && phase != before)
        {
            // The drain's t = 0 is known to the millisecond; later phases are seen within a poll.
            var at = before == GatewayPhase.Serving && state.DrainStartedAt is { } started ? Math.Min(t, started.ToUnixTimeMilliseconds()) : t;
            // The reason is said once, where the drain begins.
            history.Mark(new PhaseMark(at, phase.ToString(), before == GatewayPhase.Serving ? state.Reason?.ToString() : null));
        }
        _phase = phase;
        if (t - _lastSample < (long)SampleHistory.Interval.TotalMilliseconds - PhasePoll.TotalMilliseconds / 2) return;  // null: the first
        _lastSample = t;
        history.Record(new Sample(t, phase.ToString(), runtime.Listeners.All
            .Select(l => new ListenerSample(l.Name, l.OpenConnections, l.InFlightRequests, l.Requests)).ToList()));
    }
}
