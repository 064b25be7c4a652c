using Akka.Actor;
using Gateway.Configuration;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Gateway.Routing;
using Gateway.Upstreams;

namespace Gateway.Hosting;

/// <summary>Everything one running gateway is made of, shared by the data path, the shutdown wiring and the admin API.</summary>
public sealed class GatewayRuntime
{
    private IActorRef _supervisor = ActorRefs.Nobody;
    private Snapshot _current;

    /// <summary>What a reload swaps in one step, so a request sees the old or the new routing, never a mix.</summary>
    internal sealed record Snapshot(GatewaySettings Settings, IReadOnlyList<UpstreamHandle> Upstreams, RouteTable Routes);

    internal GatewayRuntime(GatewaySettings settings, ListenerRegistry listeners, IReadOnlyList<UpstreamHandle> upstreams, GatewayState state)
    {
        Metrics = new Telemetry.GatewayMetrics(this);
        EndpointDrains = new EndpointDrains(settings.Drain.Deadline);
        foreach (var upstream in upstreams) upstream.Drains = EndpointDrains;
        _current = new Snapshot(settings, upstreams, new RouteTable(settings.Routes, upstreams, Metrics, settings.ViaName));
        Listeners = listeners;
        State = state;
    }

    /// <summary>The configuration in force (the latest one a reload accepted).</summary>
    public GatewaySettings Settings => Current.Settings;
    public ListenerRegistry Listeners { get; }
    public IReadOnlyList<UpstreamHandle> Upstreams => Current.Upstreams;
    public GatewayState State { get; }

    /// <summary>The access log, when configured.</summary>
    public Telemetry.AccessLog? AccessLog { get; init; }

    /// <summary>The Prometheus metrics of this gateway (GET /metrics).</summary>
    public Telemetry.GatewayMetrics Metrics { get; }

    internal Snapshot Current => Volatile.Read(ref _current);

    internal void Swap(Snapshot next)
    {
        foreach (var upstream in next.Upstreams) upstream.Drains = EndpointDrains;
        Volatile.Write(ref _current, next);
    }

    /// <summary>The endpoint drains an operator asked for (this node's and, on a cluster, the replicated ones).</summary>
    public EndpointDrains EndpointDrains { get; }

    /// <summary>1 for a gateway started fresh; one more than its predecessor's after a hot restart.</summary>
    public int Generation { get; init; } = 1;

    /// <summary>The listeners this process took over from its predecessor (hot restart).</summary>
    public IReadOnlyList<string> Inherited { get; init; } = [];

    /// <summary>This gateway as a cluster node, once the actor system has started; null when not clustered.</summary>
    public Gateway.Cluster.GatewayCluster? Cluster { get; internal set; }

    private long _configVersion;

    /// <summary>The version of the replicated routes and upstreams in force (0: this node's own file, never replicated).</summary>
    public long ConfigVersion
    {
        get => Interlocked.Read(ref _configVersion);
        internal set => Interlocked.Exchange(ref _configVersion, value);
    }

    /// <summary>Serves the tcp listeners, once the actor system has started.</summary>
    internal Connections.TcpRelay? Tcp { get; set; }

    /// <summary>The drain driver (<see cref="DrainDriver"/>), once the actor system has started: every drain goes through it.</summary>
    public IActorRef Driver
    {
        get => Volatile.Read(ref _driver);
        internal set => Volatile.Write(ref _driver, value);
    }

    private IActorRef _driver = ActorRefs.Nobody;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, GatewayState> _listenerStates = new();

    /// <summary>The state of a listener's own drain (GET /drain shows it beside the gateway's).</summary>
    public GatewayState ListenerState(string listener) => _listenerStates.GetOrAdd(listener, _ => new GatewayState(State.Time));

    /// <summary>A drain that ends in the process's exit (a signal, a hot restart): t = 0 is now.</summary>
    public void BeginExit(DrainReason reason) => Driver.Tell(new DrainCommands.Begin(reason, Exit: true));

    /// <summary>The root of the actor tree, once the actor system has started.</summary>
    public IActorRef Supervisor
    {
        get => Volatile.Read(ref _supervisor);
        internal set => Volatile.Write(ref _supervisor, value);
    }

    /// <summary>Force the drain now (a second signal): whatever is still open is closed at once.</summary>
    public void ForceNow() => Driver.Tell(DrainCommands.Force.Instance);
}
