using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Gateway.Hosting;
using Microsoft.Extensions.Logging;
using static Akka.Cluster.ClusterEvent;

namespace Gateway.Cluster;

/// <summary>
/// The cluster as GET /cluster shows it: members and their status from Akka.Cluster, and each node's drain state,
/// generation and config version, which every node writes about itself into a replicated dictionary.
/// </summary>
internal sealed class ClusterView : ReceiveActor, IWithTimers
{
    public static readonly LWWDictionaryKey<string, string> Key = new("gateway-nodes");

    /// <summary>Local (admin API): answer a <see cref="ClusterReport"/>.</summary>
    public sealed record GetView
    {
        public static readonly GetView Instance = new();
        public override string ToString() => "GetView";
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
        public override string ToString() => "Tick";
    }

    /// <summary>How often this node checks whether its own status changed (a write happens only on a change).</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private static readonly IWriteConsistency WriteAll = new WriteAll(TimeSpan.FromSeconds(1));

    private readonly IActorRef _replicator;
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly GatewayRuntime _runtime;
    private readonly SlotState _slot;
    private readonly ILogger _logger;
    private IReadOnlyDictionary<string, string> _statuses = new Dictionary<string, string>();
    private string? _written;

    public ClusterView(IActorRef replicator, Akka.Cluster.Cluster cluster, GatewayRuntime runtime, SlotState slot, ILogger logger)
    {
        _replicator = replicator;
        _cluster = cluster;
        _runtime = runtime;
        _slot = slot;
        _logger = logger;
        Receive<Changed>(c => c.Key.Equals(Key), c => _statuses = c.Get(Key).Entries.ToDictionary(e => e.Key, e => e.Value));
        Receive<Tick>(_ => WriteOwnStatus());
        Receive<GetView>(_ => Sender.Tell(Report()));
        Receive<MemberUp>(e => ClusterLog.MemberEvent(_logger, e.Member.Address.ToString(), "up"));
        Receive<MemberLeft>(e => ClusterLog.MemberEvent(_logger, e.Member.Address.ToString(), "leaving"));
        Receive<MemberExited>(e => ClusterLog.MemberEvent(_logger, e.Member.Address.ToString(), "exiting"));
        Receive<MemberRemoved>(e => ClusterLog.MemberEvent(_logger, e.Member.Address.ToString(), $"removed (was {e.PreviousStatus})"));
        Receive<MemberDowned>(e => ClusterLog.MemberEvent(_logger, e.Member.Address.ToString(), "downed"));
        Receive<UnreachableMember>(e => ClusterLog.MemberEvent(_logger, e.Member.Address.ToString(), "unreachable"));
        Receive<ReachableMember>(e => ClusterLog.MemberEvent(_logger, e.Member.Address.ToString(), "reachable again"));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(_ => { });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef replicator, Akka.Cluster.Cluster cluster, GatewayRuntime runtime, SlotState slot, ILogger logger) =>
        Akka.Actor.Props.Create(() => new ClusterView(replicator, cluster, runtime, slot, logger));

    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(Key, Self));
        _cluster.Subscribe(Self, InitialStateAsEvents, typeof(IMemberEvent), typeof(IReachabilityEvent));
        Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, TimeSpan.Zero, Interval);
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void WriteOwnStatus()
    {
        var json = NodeStatus.Of(_runtime, _slot).ToJson();
        if (json == _written) return;
        _written = json;
        var self = _cluster.SelfUniqueAddress;
        var key = self.Address.ToString();
        _replicator.Tell(Dsl.Update(Key, LWWDictionary<string, string>.Empty, WriteAll,
            dictionary => dictionary.SetItem(self, key, json)));
    }

    private ClusterReport Report()
    {
        var state = _cluster.State;
        var self = _cluster.SelfAddress;
        var members = state.Members.Select(m =>
        {
            var address = m.Address.ToString();
            var status = _statuses.TryGetValue(address, out var json) ? NodeStatus.FromJson(json) : null;
            if (m.Address.Equals(self)) status = NodeStatus.Of(_runtime, _slot);
            return new ClusterReport.Member(address, m.Status.ToString(), !state.Unreachable.Contains(m), m.Address.Equals(self),
                m.Address.Equals(state.Leader), status?.Drain, status?.Phase, status?.Generation, status?.ConfigVersion, status?.Admin, status?.Pid)
            {
                Upstreams = status?.Upstreams,
            };
        }).ToList();
        var draining = members.Count(m => m.Drain == "draining");
        return new ClusterReport(self.ToString(), state.Leader?.ToString(), _runtime.ConfigVersion, _runtime.Settings.Cluster.MaxDraining, draining, members);
    }
}

/// <summary>GET /cluster: every member, its status and reachability, and what each node says about its drain.</summary>
public sealed record ClusterReport(string Self, string? Leader, long ConfigVersion, int MaxDraining, int Draining, IReadOnlyList<ClusterReport.Member> Members)
{
    /// <summary>One member of the cluster; the drain fields are null until the node has written its status.</summary>
    public sealed record Member(string Address, string Status, bool Reachable, bool Self, bool Leader,
        string? Drain, string? Phase, int? Generation, long? ConfigVersion, string? Admin, int? Pid)
    {
        /// <summary>Each endpoint's state on this node, by upstream.</summary>
        public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? Upstreams { get; init; }
    }
}
