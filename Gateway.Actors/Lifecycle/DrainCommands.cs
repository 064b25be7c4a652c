namespace Gateway.Lifecycle;

/// <summary>
/// What the host asks of the <see cref="DrainDriver"/>: the signal handlers, CoordinatedShutdown's phases, the admin
/// API and the hot restart all speak to it through these, and nothing else moves the drain's timeline.
/// </summary>
internal static class DrainCommands
{
    /// <summary>
    /// Start a drain (t = 0 is now), or join the one under way. <paramref name="Exit"/>: the process leaves once
    /// drained (a shutdown, a hot restart), and the drain can no longer be taken back; otherwise the gateway stays up,
    /// drained, until <see cref="Undrain"/>. <paramref name="Listener"/>: only that listener drains. A cluster node
    /// first waits for a slot of the drain budget, unless <paramref name="WithoutSlot"/> (it was downed). Answered
    /// with <see cref="Begun"/>.
    /// </summary>
    public sealed record Begin(DrainReason Reason, bool Exit, string? Listener = null, bool WithoutSlot = false)
    {
        public override string ToString() =>
            $"Begin({Reason}{(Exit ? ", exit" : "")}{(Listener is null ? "" : $", listener {Listener}")}{(WithoutSlot ? ", without slot" : "")})";
    }

    /// <summary>The answer to <see cref="Begin"/>.</summary>
    public sealed record Begun(BeginResult Result, GatewayPhase Phase)
    {
        public override string ToString() => $"Begun({Result}, {Phase})";
    }

    /// <summary>Take the drain back at any point before exit: listeners accept again (re-opened), readiness is 200.</summary>
    public sealed record Undrain(string? Listener = null)
    {
        public override string ToString() => Listener is null ? "Undrain" : $"Undrain(listener {Listener})";
    }

    /// <summary>The answer to <see cref="Undrain"/>, once the listeners accept again (or why not).</summary>
    public sealed record Undrained(UndrainResult Result, string? Reason = null)
    {
        public override string ToString() => Reason is null ? $"Undrained({Result})" : $"Undrained({Result}: {Reason})";
    }

    /// <summary>A second signal: whatever the drain waits for is cut short, and what is left is forced now.</summary>
    public sealed record Force
    {
        public static readonly Force Instance = new();
        public override string ToString() => "Force";
    }

    /// <summary>Answered with <see cref="Reached"/> once the drain under way (or the next one) has reached <paramref name="Milestone"/>.</summary>
    public sealed record WaitFor(DrainMilestone Milestone)
    {
        public override string ToString() => $"WaitFor({Milestone})";
    }

    /// <summary>A milestone was reached; <paramref name="Result"/> is the tree's report once <see cref="DrainMilestone.Finished"/>.</summary>
    public sealed record Reached(DrainMilestone Milestone, DrainProtocol.DrainComplete? Result)
    {
        public override string ToString() => $"Reached({Milestone})";
    }
}

/// <summary>What a <see cref="DrainCommands.Begin"/> came to.</summary>
internal enum BeginResult
{
    /// <summary>The drain began (a cluster node may first wait for a slot of the drain budget, serving meanwhile).</summary>
    Started,
    /// <summary>A drain is under way or done; nothing changed, unless an exit was asked (then the drain leads to exit).</summary>
    AlreadyDraining,
    /// <summary>No listener has that name.</summary>
    UnknownListener,
}

/// <summary>What an <see cref="DrainCommands.Undrain"/> came to.</summary>
internal enum UndrainResult
{
    /// <summary>Serving again: every listener accepts, readiness is 200.</summary>
    Serving,
    /// <summary>Nothing to take back: no drain is under way or done.</summary>
    NotDraining,
    /// <summary>The process is leaving (a shutdown or hot restart): its drain cannot be taken back.</summary>
    Exiting,
    /// <summary>A cluster node waiting for a slot of the drain budget: it has not begun to drain yet.</summary>
    Queued,
    /// <summary>No listener has that name.</summary>
    UnknownListener,
    /// <summary>A listener could not accept again (its address was taken meanwhile, say): the reason says which.</summary>
    Failed,
}

/// <summary>Points of a drain that CoordinatedShutdown's phases wait for.</summary>
internal enum DrainMilestone
{
    /// <summary>The announce window is over: listeners are told to stop accepting.</summary>
    AnnounceOver,
    /// <summary>The listeners accept no new connection; the drain of the rest is under way.</summary>
    Unbound,
    /// <summary>The drain is over (drained, or forced at the deadline).</summary>
    Finished,
}
