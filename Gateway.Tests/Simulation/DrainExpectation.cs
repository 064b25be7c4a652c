using Gateway.Lifecycle;

namespace Gateway.Tests.Simulation;

/// <summary>How one connection of a scenario must end, and when (from the start of the scenario).</summary>
public sealed record ExpectedEnd(ConnectionEnd How, TimeSpan At, bool Forced, bool Crashed);

/// <summary>
/// What the drain protocol promises for a scenario, computed from the scenario alone (no actors): the model the
/// property tests hold the real tree to.
/// </summary>
public sealed class DrainExpectation
{
    public DrainExpectation(Scenario s)
    {
        Connections = [.. s.Connections.Select(c => For(s, c))];
        var listenersDone = Connections.Select(c => c.At).Append(s.DrainStart).Max();
        var upstreams = new List<(TimeSpan At, bool Forced)>();
        foreach (var u in s.Upstreams)
        {
            var idle = u.Behaviour == UpstreamBehaviour.Hangs ? TimeSpan.MaxValue : u.BusyFor;
            upstreams.Add(idle < s.ForceAt || idle <= listenersDone && listenersDone <= s.ForceAt
                ? (Max(listenersDone, idle), false)
                : (Max(listenersDone, s.ForceAt), true));
        }
        UpstreamEnds = upstreams;
        Counts = new DrainCounts(
            Connections.Count(c => !c.Forced && !c.Crashed), Connections.Count(c => c.Forced), Connections.Count(c => c.Crashed));
        SomethingForced = Connections.Any(c => c.Forced) || upstreams.Any(u => u.Forced);
        End = SomethingForced ? s.ForceAt : Connections.Select(c => c.At).Concat(upstreams.Select(u => u.At)).Append(s.DrainStart).Max();
        Outcome = Counts.Crashed > 0 ? DrainOutcome.Aborted : SomethingForced ? DrainOutcome.DeadlineExceeded : DrainOutcome.Completed;
    }

    /// <summary>Per connection, in scenario order.</summary>
    public IReadOnlyList<ExpectedEnd> Connections { get; }

    /// <summary>Per upstream: when its pool closes and whether the deadline closed it.</summary>
    public IReadOnlyList<(TimeSpan At, bool Forced)> UpstreamEnds { get; }

    public DrainCounts Counts { get; }

    public DrainOutcome Outcome { get; }

    public bool SomethingForced { get; }

    /// <summary>
    /// When the gateway reports: the force time when anything is forced, else max(end of the announce window, last
    /// natural end).
    /// </summary>
    public TimeSpan End { get; }

    private static ExpectedEnd For(Scenario s, ConnectionSpec c)
    {
        var announced = Max(s.Signal, c.OpensAt);
        if (c.Crash == Crash.OnGoAway)
            return new ExpectedEnd(ConnectionEnd.Aborted, announced, Forced: false, Crashed: true);

        // A response after the go-away hint closes the connection; one before it leaves it idle until the drain.
        var busyUntil = c.Kind == ConnectionKind.Stuck ? TimeSpan.MaxValue : c.BusyUntil;
        var natural = busyUntil is { } e && e > s.Signal ? e : s.DrainStart;
        var closesIdle = natural == s.DrainStart;

        if (c.Crash == Crash.OnRequestClose && natural >= s.DrainStart)
            return new ExpectedEnd(ConnectionEnd.Aborted, s.DrainStart, Forced: false, Crashed: true);
        if (natural < s.ForceAt || closesIdle && natural == s.ForceAt)
            return new ExpectedEnd(closesIdle ? ConnectionEnd.ClosedIdle : ConnectionEnd.ClosedAfterResponse, natural, false, false);
        return new ExpectedEnd(ConnectionEnd.Aborted, s.ForceAt, Forced: true, Crashed: false);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
