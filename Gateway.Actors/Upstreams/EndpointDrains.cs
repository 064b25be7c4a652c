using System.Collections.Immutable;
using Akka.Actor;

namespace Gateway.Upstreams;

/// <summary>
/// The endpoint drains an operator asked for, by upstream and endpoint name: on this node only, or replicated to the
/// whole cluster (a set every node holds the same). Each <see cref="UpstreamActor"/> applies them to its endpoints,
/// so they hold across reloads (a replaced pool drains the same endpoints) and on a node that joins later.
/// </summary>
internal sealed class EndpointDrains(TimeSpan deadline)
{
    private readonly Lock _gate = new();
    private readonly List<IActorRef> _subscribers = [];
    private ImmutableHashSet<EndpointKey> _local = [];
    private ImmutableHashSet<EndpointKey> _replicated = [];

    /// <summary>How long an endpoint drain waits for its requests in flight before its pool is closed anyway.</summary>
    public TimeSpan Deadline { get; } = deadline;

    /// <summary>Drains in force here: this node's own and the cluster's.</summary>
    public ImmutableHashSet<EndpointKey> InForce
    {
        get
        {
            lock (_gate) return _local.Union(_replicated);
        }
    }

    /// <summary>The cluster-wide drains as last received (empty when not clustered).</summary>
    public ImmutableHashSet<EndpointKey> Replicated
    {
        get
        {
            lock (_gate) return _replicated;
        }
    }

    /// <summary>The endpoint names drained in <paramref name="upstream"/>.</summary>
    public IReadOnlyList<string> Of(string upstream) => InForce.Where(k => k.Upstream == upstream).Select(k => k.Endpoint).ToList();

    /// <summary>Drains (or undrains) an endpoint on this node.</summary>
    public void SetLocal(EndpointKey key, bool drained) => Change(() => _local = drained ? _local.Add(key) : _local.Remove(key));

    /// <summary>The cluster's drains, as its replicated set now holds them.</summary>
    public void SetReplicated(IEnumerable<EndpointKey> keys)
    {
        var next = keys.ToImmutableHashSet();
        Change(() => _replicated = next);
    }

    private void Change(Action change)
    {
        IActorRef[] subscribers;
        lock (_gate)
        {
            var before = _local.Union(_replicated);
            change();
            if (before.SetEquals(_local.Union(_replicated))) return;
            subscribers = [.. _subscribers];
        }
        foreach (var subscriber in subscribers) subscriber.Tell(EndpointProtocol.DrainsChanged.Instance);
    }

    internal void Subscribe(IActorRef actor)
    {
        lock (_gate) _subscribers.Add(actor);
    }

    internal void Unsubscribe(IActorRef actor)
    {
        lock (_gate) _subscribers.Remove(actor);
    }
}

/// <summary>One endpoint of one upstream, as an operator names it; <c>upstream/endpoint</c> in its replicated form.</summary>
internal readonly record struct EndpointKey(string Upstream, string Endpoint)
{
    public override string ToString() => $"{Upstream}/{Endpoint}";

    /// <summary>Reads the replicated form; null for anything else.</summary>
    public static EndpointKey? Parse(string text) =>
        text.IndexOf('/') is var slash and > 0 && slash < text.Length - 1 ? new EndpointKey(text[..slash], text[(slash + 1)..]) : null;
}
