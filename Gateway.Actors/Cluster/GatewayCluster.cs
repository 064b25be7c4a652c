using Akka.Actor;
using Akka.Cluster.Tools.Singleton;
using Akka.DistributedData;
using Gateway.Configuration;
using Gateway.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Cluster;

/// <summary>
/// This gateway as a cluster node: the drain budget (a cluster singleton and this node's slot), route replication
/// and the cluster view. Leaving needs nothing extra: a leave runs CoordinatedShutdown from its first phase, so the
/// service phases (the drain, see ShutdownPhases) run before the cluster phases.
/// </summary>
internal sealed class GatewayCluster
{
    // Only Akka.Actor types in fields: a gateway that is not clustered never loads the cluster assemblies.
    private readonly ActorSystem _system;
    private readonly IActorRef _replication;
    private readonly IActorRef _endpointDrains;
    private readonly IActorRef _view;
    private readonly ILogger _logger;

    /// <summary>True once this node was downed (removed by the others, or by an operator): it drained without the budget.</summary>
    public bool WasDowned => CoordinatedShutdown.Get(_system).ShutdownReason is CoordinatedShutdown.ClusterDowningReason;

    private Akka.Cluster.Cluster Node => Akka.Cluster.Cluster.Get(_system);

    private GatewayCluster(ActorSystem system, DrainGate gate, RouteVersion version, IActorRef replication, IActorRef endpointDrains, IActorRef view, ILogger logger)
    {
        Version = version;
        _logger = logger;
        _system = system;
        Gate = gate;
        _replication = replication;
        _endpointDrains = endpointDrains;
        _view = view;
    }

    /// <summary>The version of the replicated routes and upstreams in force on this node.</summary>
    internal RouteVersion Version { get; }

    /// <summary>The cluster-wide drain budget, as this node waits on it.</summary>
    public DrainGate Gate { get; }

    /// <summary>This node's address, e.g. akka.tcp://gateway@127.0.0.1:4053.</summary>
    public string SelfAddress => Node.SelfAddress.ToString();

    internal static GatewayCluster Start(ActorSystem system, GatewayRuntime runtime, IServiceProvider provider, ILoggerFactory loggers)
    {
        var settings = runtime.Settings.Cluster;
        system.Settings.InjectTopLevelFallback(ClusterSingleton.DefaultConfig());
        var cluster = Akka.Cluster.Cluster.Get(system);
        var self = cluster.SelfAddress.ToString();
        var logger = loggers.CreateLogger("Gateway.Cluster");

        system.ActorOf(ClusterSingletonManager.Props(DrainBudget.Props(settings.MaxDraining, loggers.CreateLogger("Gateway.Cluster.DrainBudget")),
            PoisonPill.Instance, ClusterSingletonManagerSettings.Create(system)), "drain-budget");
        var budget = system.ActorOf(ClusterSingletonProxy.Props("/user/drain-budget", ClusterSingletonProxySettings.Create(system)), "drain-budget-proxy");
        var slotState = new SlotState();
        var slot = system.ActorOf(DrainSlot.Props(budget, self, slotState, logger), "drain-slot");

        var replicator = DistributedData.Get(system).Replicator;
        var version = new RouteVersion();
        var replication = system.ActorOf(RouteReplication.Props(replicator, cluster.SelfUniqueAddress, runtime, version,
            provider.GetRequiredService<GatewayReloader>, logger), "route-replication");
        var endpointDrains = system.ActorOf(EndpointDrainReplication.Props(replicator, cluster.SelfUniqueAddress,
            runtime.EndpointDrains, logger), "endpoint-drains");
        var view = system.ActorOf(ClusterView.Props(replicator, cluster, runtime, slotState, logger), "cluster-view");

        cluster.RegisterOnMemberUp(() => ClusterLog.Joined(logger, self, settings.ToString()));
        return new GatewayCluster(system, new DrainGate(slot, slotState, logger), version, replication, endpointDrains, view, logger);
    }

    /// <summary>Drains (or undrains) an endpoint on every node; completes once this node applies it.</summary>
    public Task ReplicateEndpointDrainAsync(Upstreams.EndpointKey endpoint, bool drained)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _endpointDrains.Tell(new EndpointDrainReplication.Change(endpoint, drained, done));
        return done.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Replicates the routes and upstreams a reload just applied here; answers their version.</summary>
    public Task<long> PublishAsync(GatewaySettings applied)
    {
        var version = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        _replication.Tell(new RouteReplication.Publish(applied, version));
        return version.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>Leaves the cluster: this node drains (within the budget), then leaves and exits.</summary>
    public void Leave(string why)
    {
        ClusterLog.Leaving(_logger, why);
        Node.Leave(Node.SelfAddress);
    }

    /// <summary>
    /// Asks a member (any node, this one too) to leave: it drains first, within the budget, then leaves and exits.
    /// False when <paramref name="node"/> is not a member's address.
    /// </summary>
    public bool LeaveMember(string node)
    {
        var member = Node.State.Members.FirstOrDefault(m => m.Address.ToString() == node);
        if (member is null) return false;
        if (member.Address.Equals(Node.SelfAddress)) Leave("asked through this node's admin API");
        else
        {
            ClusterLog.MemberEvent(_logger, node, "asked to leave by this node");
            Node.Leave(member.Address);
        }
        return true;
    }

    /// <summary>
    /// Downs a member (an operator's decision, e.g. for a node known dead): the others remove it at once; the node
    /// itself, if it still runs, drains at once without the budget and exits 1. False for an address that is not a member.
    /// </summary>
    public bool DownMember(string node)
    {
        var member = Node.State.Members.FirstOrDefault(m => m.Address.ToString() == node);
        if (member is null) return false;
        ClusterLog.MemberEvent(_logger, node, "downed by this node's admin API");
        Node.Down(member.Address);
        return true;
    }

    /// <summary>The cluster view (GET /cluster); null when the actor system has stopped.</summary>
    public async Task<ClusterReport?> ViewAsync(TimeSpan timeout)
    {
        try
        {
            return await _view.Ask<ClusterReport>(ClusterView.GetView.Instance, timeout);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException or ObjectDisposedException)
        {
            return null;
        }
    }
}
