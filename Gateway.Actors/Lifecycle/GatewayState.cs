namespace Gateway.Lifecycle;

/// <summary>
/// The states of a drain, in the order a drain goes through them; every value but <see cref="Serving"/> answers
/// /ready with 503. Only the <see cref="DrainDriver"/> moves from one to the next.
/// </summary>
public enum GatewayPhase
{
    /// <summary>Accepting and serving; ready. (A cluster node may be queued for a drain slot meanwhile.)</summary>
    Serving,
    /// <summary>t = 0 … announce: still accepting, connections told to go away.</summary>
    Announcing,
    /// <summary>Listeners are stopping their accept loops.</summary>
    Unbinding,
    /// <summary>In-flight work finishes; forced at the deadline.</summary>
    Draining,
    /// <summary>The drain is over and the gateway stays up, serving nothing, until it is taken back.</summary>
    Drained,
    /// <summary>A drain is being taken back: listeners re-open.</summary>
    Resuming,
    /// <summary>The drain is over and the process is leaving (or has begun a drain that leads there and has ended it).</summary>
    Exiting,
}

/// <summary>
/// The drain state that the admin API, the metrics and the hot restart read: a thread-safe mirror of one
/// <see cref="DrainDriver"/>, written only by it, read without an actor round-trip.
/// </summary>
public sealed class GatewayState(TimeProvider time)
{
    private readonly Lock _gate = new();
    private GatewayPhase _phase;

    public GatewayPhase Phase
    {
        get { lock (_gate) return _phase; }
    }

    public bool Ready => Phase == GatewayPhase.Serving;

    /// <summary>
    /// Raised after every change of phase (from, to), outside the lock: a reader that polls <see cref="Phase"/> would
    /// miss a phase shorter than its poll (an undrain a moment after its drain).
    /// </summary>
    public event Action<GatewayPhase, GatewayPhase>? PhaseChanged;

    private void Changed(GatewayPhase before, GatewayPhase after)
    {
        if (before != after) PhaseChanged?.Invoke(before, after);
    }

    /// <summary>
    /// When the drain was asked for. Alone it is <see cref="DrainStartedAt"/>; a cluster node may wait for a drain
    /// slot in between, serving and ready, and its deadline still counts from here.
    /// </summary>
    public DateTimeOffset? DrainRequestedAt { get; private set; }

    /// <summary>t = 0 of the drain under way (the signal, or the slot), when one has begun.</summary>
    public DateTimeOffset? DrainStartedAt { get; private set; }

    /// <summary>When what is left of the drain under way is forced.</summary>
    public DateTimeOffset? Deadline { get; private set; }

    public DrainReason? Reason { get; private set; }

    /// <summary>The drain under way leads to the process's exit: it can no longer be taken back.</summary>
    public bool Exiting { get; private set; }

    /// <summary>How the last drain ended, once it has.</summary>
    public DrainProtocol.DrainComplete? Result { get; private set; }

    public TimeProvider Time => time;

    internal void Queued(DrainReason reason, DateTimeOffset requestedAt, bool exit)
    {
        lock (_gate) (Reason, DrainRequestedAt, Exiting) = (reason, requestedAt, exit);
    }

    internal void Started(DrainReason reason, DateTimeOffset requestedAt, DateTimeOffset startedAt, DateTimeOffset deadline, bool exit)
    {
        GatewayPhase before;
        lock (_gate)
        {
            (Reason, DrainRequestedAt, DrainStartedAt, Deadline, Exiting, Result) = (reason, requestedAt, startedAt, deadline, exit, null);
            (before, _phase) = (_phase, GatewayPhase.Announcing);
        }
        Changed(before, GatewayPhase.Announcing);
    }

    internal void Enter(GatewayPhase phase, bool exit, DateTimeOffset? deadline = null)
    {
        GatewayPhase before;
        lock (_gate)
        {
            (before, _phase) = (_phase, phase);
            Exiting = exit;
            if (deadline is { } d) Deadline = d;
        }
        Changed(before, phase);
    }

    internal void Finished(GatewayPhase phase, DrainProtocol.DrainComplete? result, bool exit)
    {
        GatewayPhase before;
        lock (_gate)
        {
            // A run that found the tree already stopped keeps the first result.
            if (result is not null) Result = result;
            (before, _phase) = (_phase, phase);
            Exiting = exit;
        }
        Changed(before, phase);
    }

    /// <summary>Serving again: the drain was taken back.</summary>
    internal void Cleared()
    {
        GatewayPhase before;
        lock (_gate)
        {
            (before, _phase) = (_phase, GatewayPhase.Serving);
            (Reason, DrainRequestedAt, DrainStartedAt, Deadline, Exiting) = (null, null, null, null, false);
        }
        Changed(before, GatewayPhase.Serving);
    }
}
