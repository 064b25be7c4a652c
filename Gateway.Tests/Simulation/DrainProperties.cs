namespace Gateway.Tests.Simulation;

/// <summary>
/// The rules of a graceful drain, checked on one simulation result against the <see cref="DrainExpectation"/> of its
/// scenario. Each broken rule yields one line naming the rule; an empty list means the drain kept every promise.
/// </summary>
public static class DrainProperties
{
    public const string BottomUp = "bottom-up stop order";
    public const string NothingCut = "a request that ends before the deadline completes normally";
    public const string ForcedOnce = "a connection open at the deadline is forced exactly once";
    public const string CrashContained = "a crashed connection actor closes its connection at the crash";
    public const string EndsOnTime = "the drain ends at max(announce, last natural end), or at the deadline when something is forced";
    public const string CountsMatch = "the final DrainComplete counts what the scenario contained";
    public const string UpstreamsLast = "upstreams drain after the listeners and close on time";

    /// <summary>Virtual-time tolerance: one scheduler tick.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    public static IReadOnlyList<string> Check(SimulationResult r)
    {
        var s = r.Scenario;
        var expected = new DrainExpectation(s);
        var broken = new List<string>();
        void Fail(string rule, string detail) => broken.Add($"[{rule}] {detail}");

        // The gateway reports once, at the expected time, with the expected counts.
        if (r.Complete is null)
            Fail(EndsOnTime, "the gateway never reported DrainComplete");
        else
        {
            if (r.CompletedAt is not { } end || (end - expected.End).Duration() > Tick)
                Fail(EndsOnTime, $"ended at {Ms(r.CompletedAt)}, expected {Ms(expected.End)}");
            if (r.Complete.Counts != expected.Counts)
                Fail(CountsMatch, $"counts {r.Complete.Counts}, expected {expected.Counts}");
            if (r.Complete.Outcome != expected.Outcome)
                Fail(CountsMatch, $"outcome {r.Complete.Outcome}, expected {expected.Outcome}");
        }
        var completes = r.Timeline.Count(e => e.Event.StartsWith("drain-complete ", StringComparison.Ordinal));
        if (completes > 1) Fail(CountsMatch, $"{completes} DrainComplete messages, expected exactly one");

        for (var i = 0; i < s.Connections.Count; i++)
        {
            var c = r.Connections[i];
            var e = expected.Connections[i];
            var actual = $"c{i} ({s.Connections[i]}) ended {c.End} at {Ms(c.ClosedAt - r.Start)} with {c.Aborts} abort(s)";
            var wanted = $"expected {e.How} at {Ms(e.At)}";
            if (e.Crashed)
            {
                if (c.End != ConnectionEnd.Aborted || c.Aborts != 1 || !Near(c.ClosedAt - r.Start, e.At))
                    Fail(CrashContained, $"{actual}; {wanted}");
            }
            else if (e.Forced)
            {
                if (c.End != ConnectionEnd.Aborted || c.Aborts != 1 || !Near(c.ClosedAt - r.Start, e.At))
                    Fail(ForcedOnce, $"{actual}; {wanted}");
            }
            else if (c.End != e.How || c.Aborts != 0 || !Near(c.ClosedAt - r.Start, e.At))
                Fail(NothingCut, $"{actual}; {wanted}");
        }

        CheckStopOrder(r, Fail);

        for (var i = 0; i < s.Upstreams.Count; i++)
        {
            var u = r.Upstreams[i];
            var (at, forced) = expected.UpstreamEnds[i];
            if (!Near(u.ClosedAt - r.Start, at))
                Fail(UpstreamsLast, $"upstream {u.Name} closed at {Ms(u.ClosedAt - r.Start)}, expected {Ms(at)}{(forced ? " (forced)" : "")}");
        }
        return broken;
    }

    /// <summary>
    /// Every actor stops after all of its descendants; the upstreams begin to drain only once every connection is
    /// closed and every listener has stopped; the gateway reports only after everything below it has stopped.
    /// </summary>
    private static void CheckStopOrder(SimulationResult r, Action<string, string> fail)
    {
        if (r.Timeline.Count == 0) return; // not recorded
        var started = r.Timeline.Where(e => e.Event.EndsWith(" started", StringComparison.Ordinal))
            .Select(e => e.Event["actor ".Length..^" started".Length]).ToHashSet();
        var stopped = r.Timeline.Where(e => e.Event.EndsWith(" stopped", StringComparison.Ordinal) && e.Event.StartsWith("actor ", StringComparison.Ordinal))
            .ToDictionary(e => e.Event["actor ".Length..^" stopped".Length], e => e.Seq);

        foreach (var actor in started)
        {
            if (!stopped.TryGetValue(actor, out var at))
            {
                fail(BottomUp, $"{actor} never stopped");
                continue;
            }
            foreach (var child in started.Where(a => a.StartsWith(actor + "/", StringComparison.Ordinal)))
                if (!stopped.TryGetValue(child, out var childAt) || childAt > at)
                    fail(BottomUp, $"{actor} stopped before its descendant {child}");
        }

        var report = r.Timeline.FirstOrDefault(e => e.Event.StartsWith("drain-complete ", StringComparison.Ordinal))?.Seq ?? long.MaxValue;
        foreach (var (actor, at) in stopped)
            if (actor != "gateway" && at > report)
                fail(BottomUp, $"the gateway reported DrainComplete before {actor} stopped");

        var lastBelowListeners = r.Timeline
            .Where(e => e.Event.StartsWith("conn ", StringComparison.Ordinal) && e.Event.Contains(" closed (", StringComparison.Ordinal)
                        || e.Event.StartsWith("actor gateway/listener-", StringComparison.Ordinal) && e.Event.EndsWith(" stopped", StringComparison.Ordinal))
            .Select(e => e.Seq).DefaultIfEmpty(0).Max();
        foreach (var begins in r.Timeline.Where(e => e.Event.StartsWith("upstream ", StringComparison.Ordinal) && e.Event.EndsWith(" drain-begins", StringComparison.Ordinal)))
            if (begins.Seq < lastBelowListeners)
                fail(UpstreamsLast, $"'{begins.Event}' (#{begins.Seq}) before the last connection closed or listener stopped (#{lastBelowListeners})");
    }

    private static bool Near(TimeSpan? actual, TimeSpan expected) => actual is { } a && (a - expected).Duration() <= Tick;

    private static string Ms(TimeSpan? t) => t is { } v ? $"{v.TotalMilliseconds:0.###}ms" : "never";
}
