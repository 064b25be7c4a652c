namespace Gateway.Tests.Simulation;

/// <summary>
/// Seeded random scenarios and a greedy shrinker. Times sit on different residues of 10 ms (signals on 0, connection
/// ends on 5 or 8, upstream ends on 7) so no two events of different kinds fall on the same virtual instant and the
/// expected outcome is never a matter of tie-breaking.
/// </summary>
public static class ScenarioGenerator
{
    /// <summary>What to vary: the base mix, or scenarios that always carry a second signal, or crashes.</summary>
    public enum Focus { Mixed, SecondSignal, Crashes }

    public static Scenario Generate(int seed, Focus focus = Focus.Mixed, int maxConnections = 12)
    {
        var rng = new Random(seed);
        TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);

        var listeners = Enumerable.Range(0, rng.Next(1, 4)).Select(i => "l" + i).ToList();
        var signal = Ms(10 * rng.Next(0, 101));
        var announce = Ms(10 * rng.Next(0, 51));
        var deadline = announce + Ms(10 * rng.Next(1, 301));

        TimeSpan? second = null;
        if (focus == Focus.SecondSignal || focus == Focus.Mixed && rng.Next(4) == 0)
            second = signal + Ms(10 * rng.Next(1, (int)((deadline.TotalMilliseconds + 100) / 10)));
        var drainStart = second is { } t && t < signal + announce ? t : signal + announce;

        var horizon = (int)(signal + deadline).TotalMilliseconds + 1000;
        var connections = new List<ConnectionSpec>();
        var count = rng.Next(focus == Focus.Mixed ? 0 : 1, maxConnections + 1);
        for (var i = 0; i < count; i++)
        {
            var kind = (ConnectionKind)rng.Next(4);
            var length = kind is ConnectionKind.Request or ConnectionKind.Stream ? Ms(10 * rng.Next(0, horizon / 10) + 5) : TimeSpan.Zero;
            var latest = (int)drainStart.TotalMilliseconds - 3;
            var opens = latest > 0 && rng.Next(10) < 3 ? Ms(10 * rng.Next(0, latest / 10 + 1) + 3) : TimeSpan.Zero;
            if (opens >= drainStart) opens = TimeSpan.Zero;
            var crash = focus == Focus.Crashes ? (Crash)rng.Next(3) : rng.Next(8) == 0 ? (Crash)rng.Next(1, 3) : Crash.None;
            connections.Add(new ConnectionSpec(listeners[rng.Next(listeners.Count)], kind, length, opens, crash));
        }
        if (focus == Focus.Crashes && connections.All(c => c.Crash == Crash.None))
            connections[0] = connections[0] with { Crash = Crash.OnRequestClose };

        var upstreams = Enumerable.Range(0, rng.Next(0, 3))
            .Select(i => new UpstreamSpec("u" + i, (UpstreamBehaviour)rng.Next(3), Ms(10 * rng.Next(0, horizon / 10) + 7)))
            .ToList();
        return new Scenario(listeners, connections, upstreams, signal, announce, deadline, second);
    }

    /// <summary>Smaller scenarios derived from one: one connection or upstream fewer, one complication removed.</summary>
    public static IEnumerable<Scenario> Shrink(Scenario s)
    {
        for (var i = 0; i < s.Connections.Count; i++)
            yield return s with { Connections = [.. s.Connections.Where((_, j) => j != i)] };
        for (var i = 0; i < s.Upstreams.Count; i++)
            yield return s with { Upstreams = [.. s.Upstreams.Where((_, j) => j != i)] };
        if (s.SecondSignal is not null) yield return s with { SecondSignal = null };
        for (var i = 0; i < s.Connections.Count; i++)
        {
            var c = s.Connections[i];
            if (c.Crash != Crash.None) yield return s with { Connections = Replace(s.Connections, i, c with { Crash = Crash.None }) };
            if (c.OpensAt > TimeSpan.Zero) yield return s with { Connections = Replace(s.Connections, i, c with { OpensAt = TimeSpan.Zero }) };
        }
        var used = s.Connections.Select(c => c.Listener).Distinct().ToList();
        if (used.Count > 0 && used.Count < s.Listeners.Count) yield return s with { Listeners = [.. s.Listeners.Where(used.Contains)] };
    }

    /// <summary>Shrinks greedily while <paramref name="fails"/> still holds.</summary>
    public static Scenario Minimize(Scenario failing, Func<Scenario, bool> fails)
    {
        var current = failing;
        for (var progress = true; progress;)
        {
            progress = false;
            foreach (var smaller in Shrink(current))
                if (fails(smaller))
                {
                    current = smaller;
                    progress = true;
                    break;
                }
        }
        return current;
    }

    private static List<ConnectionSpec> Replace(IReadOnlyList<ConnectionSpec> list, int i, ConnectionSpec c) =>
        [.. list.Select((x, j) => j == i ? c : x)];
}
