using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Gateway.Upstreams;
using Microsoft.Extensions.Logging;

namespace Gateway.Cluster;

/// <summary>
/// Replicates endpoint drains through Distributed Data, as the routes are: one observed-remove set of
/// <c>upstream/endpoint</c> names, so a drain asked on any node holds on every node (an undrain removes it), a node
/// that joins later receives the set by gossip, and concurrent drains of different endpoints merge.
/// </summary>
internal sealed class EndpointDrainReplication : ReceiveActor
{
    public static readonly ORSetKey<string> Key = new("gateway-endpoint-drains");

    /// <summary>Local: drain (or undrain) an endpoint on every node; answers once this node's replica has it.</summary>
    public sealed record Change(EndpointKey Endpoint, bool Drained, TaskCompletionSource Done)
    {
        public override string ToString() => $"Change({Endpoint}, {(Drained ? "drain" : "undrain")})";
    }

    /// <summary>Pushed to every reachable node at once; a node it misses gets it by gossip.</summary>
    private static readonly IWriteConsistency WriteAll = new WriteAll(TimeSpan.FromSeconds(3));

    private readonly IActorRef _replicator;
    private readonly UniqueAddress _self;
    private readonly EndpointDrains _drains;
    private readonly ILogger _logger;

    public EndpointDrainReplication(IActorRef replicator, UniqueAddress self, EndpointDrains drains, ILogger logger)
    {
        _replicator = replicator;
        _self = self;
        _drains = drains;
        _logger = logger;
        Receive<Changed>(c => c.Key.Equals(Key), c => Apply(c.Get(Key).Elements, "replicated"));
        Receive<Change>(OnChange);
        Receive<GetSuccess>(g => g.Key.Equals(Key), g =>
        {
            Apply(g.Get(Key).Elements, "asked on this node");
            (g.Request as TaskCompletionSource)?.TrySetResult();
        });
        Receive<NotFound>(n => (n.Request as TaskCompletionSource)?.TrySetResult());
        Receive<UpdateSuccess>(_ => { });
        // A node that did not answer in time gets the change by gossip; this node's replica has it already.
        Receive<IUpdateFailure>(_ => { });
    }

    public static Props Props(IActorRef replicator, UniqueAddress self, EndpointDrains drains, ILogger logger) =>
        Akka.Actor.Props.Create(() => new EndpointDrainReplication(replicator, self, drains, logger));

    protected override void PreStart() => _replicator.Tell(Dsl.Subscribe(Key, Self));

    private void OnChange(Change change)
    {
        var element = change.Endpoint.ToString();
        _replicator.Tell(Dsl.Update(Key, ORSet<string>.Empty, WriteAll,
            set => change.Drained ? set.Add(_self, element) : set.Remove(_self, element)));
        // This node's replica holds the change as soon as the replicator took the update: read it back and apply it
        // here now, not when the next notification comes round (that one, sent before, may still lack it).
        _replicator.Tell(Dsl.Get(Key, ReadLocal.Instance, change.Done));
        ClusterLog.EndpointDrainPublished(_logger, change.Endpoint.ToString(), change.Drained ? "drain" : "undrain");
    }

    private void Apply(IEnumerable<string> elements, string how)
    {
        var keys = elements.Select(EndpointKey.Parse).OfType<EndpointKey>().ToList();
        if (_drains.Replicated.SetEquals(keys)) return;
        _drains.SetReplicated(keys);
        ClusterLog.EndpointDrainsApplied(_logger, how, keys.Count == 0 ? "none" : string.Join(", ", keys));
    }
}
