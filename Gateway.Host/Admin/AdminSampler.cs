using Gateway.Hosting;
using Gateway.Lifecycle;

namespace Gateway.Host.Admin;

/// <summary>
/// Fills the <see cref="SampleHistory"/> from the lock-free listener counters: a sample every second, and a mark at
/// every change of phase as the drain driver makes it (however short the phase: an announce of 0 s, an undrain a
/// moment after its drain). Runs from start until the process leaves, through a drain.
/// </summary>
internal sealed class AdminSampler : BackgroundService
{
    // Samples are a second apart, taken within a quarter second of it.
    private static readonly TimeSpan SamplePoll = TimeSpan.FromMilliseconds(250);
    private readonly GatewayRuntime _runtime;
    private readonly SampleHistory _history;
    private long? _lastSample;

    public AdminSampler(GatewayRuntime runtime, SampleHistory history)
    {
        (_runtime, _history) = (runtime, history);
        _runtime.State.PhaseChanged += Marked;
    }

    private void Marked(GatewayPhase before, GatewayPhase phase)
    {
        var state = _runtime.State;
        var t = state.Time.GetUtcNow().ToUnixTimeMilliseconds();
        // The drain's t = 0 is known to the millisecond; the reason is said once, where the drain begins.
        var at = before == GatewayPhase.Serving && state.DrainStartedAt is { } started ? Math.Min(t, started.ToUnixTimeMilliseconds()) : t;
        _history.Mark(new PhaseMark(at, phase.ToString(), before == GatewayPhase.Serving ? state.Reason?.ToString() : null));
    }

    public override void Dispose()
    {
        _runtime.State.PhaseChanged -= Marked;
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var time = _runtime.State.Time;
        Tick(time.GetUtcNow());
        using var timer = new PeriodicTimer(SamplePoll, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) Tick(time.GetUtcNow());
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Takes a sample when a second has passed since the last one.</summary>
    internal void Tick(DateTimeOffset now)
    {
        var phase = _runtime.State.Phase;
        var t = now.ToUnixTimeMilliseconds();
        if (t - _lastSample < (long)SampleHistory.Interval.TotalMilliseconds - SamplePoll.TotalMilliseconds / 2) return;  // null: the first
        _lastSample = t;
        _history.Record(new Sample(t, phase.ToString(), _runtime.Listeners.All
            .Select(l => new ListenerSample(l.Name, l.Counters.OpenConnections, l.Counters.InFlightRequests, l.Counters.Requests)).ToList()));
    }
}
