using System.Text;

namespace Gateway.Tests.Simulation;

/// <summary>What a simulated downstream connection does.</summary>
public enum ConnectionKind
{
    /// <summary>Keep-alive with nothing in flight: it closes when asked to.</summary>
    Idle,
    /// <summary>A request in flight that ends <see cref="ConnectionSpec.Length"/> after the connection opened.</summary>
    Request,
    /// <summary>A long-lived stream (SSE, WebSocket, gRPC) that ends <see cref="ConnectionSpec.Length"/> after it opened.</summary>
    Stream,
    /// <summary>A request that never ends: only the deadline (or a second signal) closes it.</summary>
    Stuck,
}

/// <summary>A crash injected into a connection actor: its port throws when the actor calls it.</summary>
public enum Crash
{
    None,
    /// <summary>The port throws on the go-away hint (at the announce).</summary>
    OnGoAway,
    /// <summary>The port throws on the graceful close request (at the drain).</summary>
    OnRequestClose,
}

/// <summary>What a simulated upstream pool does with the requests it still has when its drain begins.</summary>
public enum UpstreamBehaviour
{
    /// <summary>Answers them; the pool is idle at <see cref="UpstreamSpec.BusyFor"/>.</summary>
    Answers,
    /// <summary>Fails them at <see cref="UpstreamSpec.BusyFor"/> (resets, 502s); the pool is idle then.</summary>
    Fails,
    /// <summary>Never answers: only the deadline (or a second signal) closes the pool.</summary>
    Hangs,
}

/// <summary>One downstream connection on <paramref name="Listener"/>, accepted at <paramref name="OpensAt"/>.</summary>
public sealed record ConnectionSpec(
    string Listener,
    ConnectionKind Kind,
    TimeSpan Length = default,
    TimeSpan OpensAt = default,
    Crash Crash = Crash.None)
{
    /// <summary>When its request or stream ends on its own (null: idle, or never).</summary>
    public TimeSpan? BusyUntil => Kind is ConnectionKind.Request or ConnectionKind.Stream ? OpensAt + Length : null;

    public override string ToString()
    {
        var s = new StringBuilder($"{Kind}@{Listener}");
        if (Kind is ConnectionKind.Request or ConnectionKind.Stream) s.Append($" {Length.TotalMilliseconds}ms");
        if (OpensAt > TimeSpan.Zero) s.Append($" opens {OpensAt.TotalMilliseconds}ms");
        if (Crash != Crash.None) s.Append($" crash {Crash}");
        return s.ToString();
    }
}

/// <summary>One upstream pool; <paramref name="BusyFor"/> is when its last request ends (Answers/Fails).</summary>
public sealed record UpstreamSpec(string Name, UpstreamBehaviour Behaviour = UpstreamBehaviour.Answers, TimeSpan BusyFor = default)
{
    public override string ToString() =>
        Behaviour == UpstreamBehaviour.Hangs ? $"{Name}: hangs" : $"{Name}: {Behaviour} until {BusyFor.TotalMilliseconds}ms";
}

/// <summary>
/// A shutdown to simulate. Times are virtual and measured from the start of the simulation: connections open at
/// <see cref="ConnectionSpec.OpensAt"/>; the signal comes at <see cref="Signal"/>; the listeners keep accepting for
/// <see cref="Announce"/> and then stop; whatever is still open at <see cref="Signal"/> + <see cref="Deadline"/> is
/// forced. An optional <see cref="SecondSignal"/> (absolute) forces at once, as a second SIGTERM does.
/// </summary>
public sealed record Scenario(
    IReadOnlyList<string> Listeners,
    IReadOnlyList<ConnectionSpec> Connections,
    IReadOnlyList<UpstreamSpec> Upstreams,
    TimeSpan Signal,
    TimeSpan Announce,
    TimeSpan Deadline,
    TimeSpan? SecondSignal = null)
{
    /// <summary>When listeners stop accepting and idle connections are closed: the end of the announce window.</summary>
    public TimeSpan DrainStart => SecondSignal is { } second && second < Signal + Announce ? second : Signal + Announce;

    /// <summary>The absolute deadline of the drain.</summary>
    public TimeSpan DeadlineAt => Signal + Deadline;

    /// <summary>When whatever is still open is forced: the deadline, or a second signal before it.</summary>
    public TimeSpan ForceAt => SecondSignal is { } second && second < DeadlineAt ? second : DeadlineAt;

    public override string ToString()
    {
        var s = new StringBuilder();
        s.AppendLine($"Scenario: signal {Signal.TotalMilliseconds}ms, announce {Announce.TotalMilliseconds}ms, " +
                     $"deadline {Deadline.TotalMilliseconds}ms" +
                     (SecondSignal is { } t ? $", second signal at {t.TotalMilliseconds}ms" : ""));
        s.AppendLine($"  listeners: {string.Join(", ", Listeners)}");
        for (var i = 0; i < Connections.Count; i++) s.AppendLine($"  conn c{i}: {Connections[i]}");
        foreach (var u in Upstreams) s.AppendLine($"  upstream {u}");
        return s.ToString();
    }
}
