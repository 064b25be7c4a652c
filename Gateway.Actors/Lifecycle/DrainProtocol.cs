using Akka.Actor;

namespace Gateway.Lifecycle;

/// <summary>
/// The drain contract between every parent and child of the gateway tree (gateway → listeners → connections,
/// gateway → upstreams). <see cref="Drain"/> goes down; <see cref="DrainComplete"/> comes up exactly once, just before
/// the child stops, so the tree stops bottom-up. A child that dies without answering counts as complete (DeathWatch).
/// </summary>
public static class DrainProtocol
{
    /// <summary>
    /// t = 0 of a shutdown: keep serving and accepting, but tell every connection to go away on its next response
    /// (HTTP/1.1 <c>Connection: close</c>, HTTP/2 GOAWAY), so clients move before the listeners stop.
    /// </summary>
    public sealed record Announce(DrainReason Reason)
    {
        public override string ToString() => $"Announce({Reason})";
    }

    /// <summary>
    /// The drain is taken back: stop telling connections to go away and accept again — re-opening a listening socket
    /// that was closed, or the one that was kept. Connections already draining finish their drain. Answered with
    /// <see cref="Resumed"/> once accepting (a drain that leads to exit cannot be taken back: it is never sent then).
    /// </summary>
    public sealed record Resume
    {
        public static readonly Resume Instance = new();
        public override string ToString() => "Resume";
    }

    /// <summary>The listeners below <paramref name="Path"/> accept again; <paramref name="Failures"/> names those that could not.</summary>
    public sealed record Resumed(string Path, IReadOnlyList<string> Failures)
    {
        public override string ToString() => Failures.Count == 0 ? $"Resumed({Path})" : $"Resumed({Path}, failed: {string.Join("; ", Failures)})";
    }

    /// <summary>Stop accepting new connections; live ones keep being served. Answered with <see cref="AcceptingStopped"/>.</summary>
    public sealed record StopAccepting
    {
        public static readonly StopAccepting Instance = new();
        public override string ToString() => "StopAccepting";
    }

    /// <summary>The listeners below the sender of this message accept no new connections.</summary>
    public sealed record AcceptingStopped(string Path)
    {
        public override string ToString() => $"AcceptingStopped({Path})";
    }

    /// <summary>
    /// Parent → child: stop taking work, finish what you have, force what is left at <paramref name="Deadline"/>.
    /// Idempotent; a later <see cref="Drain"/> with an earlier deadline (a second signal) shortens the first.
    /// </summary>
    public sealed record Drain(DateTimeOffset Deadline, DrainReason Reason, DrainMode Mode = DrainMode.Graceful)
    {
        /// <summary>When idle connections are closed: not under a client that just used them, and spread out.</summary>
        public IdleClosePolicy IdleClose { get; init; } = IdleClosePolicy.AtOnce;

        /// <summary>
        /// An operator's drain that may be taken back: once drained the tree stays up — listeners wait to be resumed,
        /// upstream pools are kept — instead of stopping bottom-up. A later drain that is not resumable (a shutdown) wins.
        /// </summary>
        public bool Resumable { get; init; }

        public override string ToString() => $"Drain({Reason}, {Mode}{(Resumable ? ", resumable" : "")}, deadline {Deadline:HH:mm:ss.fff})";
    }

    /// <summary>Child → parent, exactly once, just before the child stops.</summary>
    public sealed record DrainComplete(string Path, DrainOutcome Outcome, DrainCounts Counts)
    {
        public override string ToString() => $"DrainComplete({Path}, {Outcome}, {Counts})";
    }

    /// <summary>Timer message: the drain deadline of this node has come.</summary>
    internal sealed record DeadlineReached
    {
        public static readonly DeadlineReached Instance = new();
        public override string ToString() => "DeadlineReached";
    }

    /// <summary>The deadline in the scheduler's time; what is left of it never goes below zero.</summary>
    internal static TimeSpan Remaining(this Drain drain, IScheduler scheduler)
    {
        var left = drain.Deadline - scheduler.Now;
        return drain.Mode == DrainMode.Force || left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }

    /// <summary>The drain that ends first of two: a second drain may shorten, never extend.</summary>
    internal static Drain Earliest(this Drain current, Drain next)
    {
        var earliest = next.Mode == DrainMode.Force || next.Deadline < current.Deadline ? next with { Reason = current.Reason } : current;
        return earliest.Resumable == (current.Resumable && next.Resumable) ? earliest : earliest with { Resumable = false };
    }
}

/// <summary>
/// When a drain closes an idle keep-alive connection: once it has been quiet for <see cref="Quiet"/> (a connection
/// that just answered is likely to carry the client's next request), plus a random share of <see cref="Spread"/>
/// so that thousands of clients do not all reconnect in the same instant.
/// </summary>
public sealed record IdleClosePolicy(TimeSpan Quiet, TimeSpan Spread)
{
    public static readonly IdleClosePolicy AtOnce = new(TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>How long to wait before closing a connection idle for <paramref name="idleFor"/>.</summary>
    public TimeSpan DelayFor(TimeSpan idleFor, double random) =>
        (Quiet > idleFor ? Quiet - idleFor : TimeSpan.Zero) + Spread * random;
}

/// <summary>Why the gateway drains.</summary>
public enum DrainReason
{
    /// <summary>The process is stopping: SIGTERM, SIGINT, or the host's stop.</summary>
    Shutdown,
    /// <summary>An operator asked for a drain without exit.</summary>
    Admin,
    /// <summary>A successor process took the listening sockets.</summary>
    HotRestart,
    /// <summary>A reload removed this listener or upstream; the rest of the gateway goes on.</summary>
    Reload,
}

/// <summary>How hard a drain pushes.</summary>
public enum DrainMode
{
    /// <summary>Let in-flight work finish until the deadline.</summary>
    Graceful,
    /// <summary>Force at once, whatever the deadline says (a second signal).</summary>
    Force,
}

/// <summary>How one node's drain ended.</summary>
public enum DrainOutcome
{
    /// <summary>Everything finished on its own before the deadline.</summary>
    Completed,
    /// <summary>The deadline came first: something was forced (see <see cref="DrainCounts.Forced"/>).</summary>
    DeadlineExceeded,
    /// <summary>The node (or a child) died during the drain; it was counted as done so nothing hangs.</summary>
    Aborted,
}

/// <summary>What a drain closed: connections that ended on their own, were forced, or whose actor crashed.</summary>
public readonly record struct DrainCounts(int Completed, int Forced, int Crashed)
{
    public static readonly DrainCounts None = default;

    public int Total => Completed + Forced + Crashed;

    public static DrainCounts operator +(DrainCounts a, DrainCounts b) =>
        new(a.Completed + b.Completed, a.Forced + b.Forced, a.Crashed + b.Crashed);

    /// <summary>The outcome these counts stand for.</summary>
    public DrainOutcome Outcome => Crashed > 0 ? DrainOutcome.Aborted : Forced > 0 ? DrainOutcome.DeadlineExceeded : DrainOutcome.Completed;

    public override string ToString() => $"completed={Completed} forced={Forced} crashed={Crashed}";
}
