namespace Gateway.Lifecycle;

/// <summary>Where the gateway is in its life; every value but <see cref="Serving"/> answers /ready with 503.</summary>
public enum GatewayPhase
{
    /// <summary>Accepting and serving; ready.</summary>
    Serving,
    /// <summary>t = 0 … announce: still accepting, connections told to go away.</summary>
    Announcing,
    /// <summary>Listeners are stopping their accept loops.</summary>
    Unbinding,
    /// <summary>In-flight work finishes; forced at the deadline.</summary>
    Draining,
    /// <summary>The drain is over; the process is leaving.</summary>
    Drained,
}

/// <summary>
/// The drain state that the admin API reads and the shutdown wiring writes: thread-safe, no actor round-trip.
/// </summary>
public sealed class GatewayState(TimeProvider time)
{
    private readonly CancellationTokenSource _force = new();
    private readonly Lock _gate = new();
    private GatewayPhase _phase;
    private bool _exiting;

    public GatewayPhase Phase
    {
        get { lock (_gate) return _phase; }
    }

    public bool Ready => Phase == GatewayPhase.Serving;

    /// <summary>
    /// When a drain was asked for. Alone it is the same as <see cref="DrainStartedAt"/>; a cluster node may wait for
    /// a drain slot in between, serving and ready, and its deadline still counts from here.
    /// </summary>
    public DateTimeOffset? DrainRequestedAt { get; private set; }

    /// <summary>Marks the moment a drain was asked for, once; returns it.</summary>
    public DateTimeOffset RequestDrain()
    {
        lock (_gate) return DrainRequestedAt ??= time.GetUtcNow();
    }

    /// <summary>When the drain begun (or about to begin) now must be over: <paramref name="deadline"/> after it was asked for.</summary>
    public DateTimeOffset DeadlineFor(TimeSpan deadline)
    {
        lock (_gate)
        {
            var started = DrainStartedAt ?? time.GetUtcNow();
            return DrainRequestedAt is { } requested && requested < started ? requested + deadline : started + deadline;
        }
    }

    /// <summary>t = 0 of the drain (the signal), when one has begun.</summary>
    public DateTimeOffset? DrainStartedAt { get; private set; }

    public DrainReason? Reason { get; private set; }

    /// <summary>How the drain ended, once it has.</summary>
    public DrainProtocol.DrainComplete? Result { get; private set; }

    /// <summary>Cancelled when the drain must stop waiting (a second signal).</summary>
    public CancellationToken ForceToken => _force.Token;

    public TimeProvider Time => time;

    /// <summary>Marks t = 0 once; later calls keep the first time and reason. Returns t = 0.</summary>
    public DateTimeOffset BeginDrain(DrainReason reason)
    {
        lock (_gate)
        {
            // A shutdown or hot restart that finds an admin drain under way keeps it, but it can no longer be taken back.
            if (reason is DrainReason.Shutdown or DrainReason.HotRestart) _exiting = true;
            if (DrainStartedAt is null)
            {
                DrainStartedAt = time.GetUtcNow();
                Reason = reason;
                _phase = GatewayPhase.Announcing;
            }
            return DrainStartedAt.Value;
        }
    }

    /// <summary>Moves forward to <paramref name="phase"/>; false when the drain was taken back (undrain) meanwhile.</summary>
    public bool Enter(GatewayPhase phase)
    {
        lock (_gate)
        {
            if (_phase == GatewayPhase.Serving) return false;
            if (phase > _phase) _phase = phase;
            return true;
        }
    }

    /// <summary>The drain is over; a later run that found the tree already stopped keeps the first result.</summary>
    public void Finish(DrainProtocol.DrainComplete? result)
    {
        if (result is not null) Result = result;
        Enter(GatewayPhase.Drained);
    }

    /// <summary>Takes back a drain still in its announce window (nothing was unbound yet); false when too late.</summary>
    public bool TryUndrain()
    {
        lock (_gate)
        {
            if (_phase != GatewayPhase.Announcing || Reason != DrainReason.Admin || _exiting) return false;
            _phase = GatewayPhase.Serving;
            DrainStartedAt = null;
            DrainRequestedAt = null;
            Reason = null;
            return true;
        }
    }

    /// <summary>Starts a drain only from <see cref="GatewayPhase.Serving"/>; false when one is under way.</summary>
    public bool TryBeginDrain(DrainReason reason)
    {
        lock (_gate)
        {
            if (_phase != GatewayPhase.Serving) return false;
            BeginDrain(reason);
            return true;
        }
    }

    public void Force() => _force.Cancel();
}
