using System.Net;
using Akka.Actor;
using Gateway.Configuration;
using Gateway.HotRestart;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Gateway.Routing;
using Gateway.Upstreams;

namespace Gateway.Hosting;

/// <summary>
/// One running gateway, shared by the data path, the drain wiring and the admin API. Each part has one writer: what
/// it was opened with is fixed; what it serves is a <see cref="Snapshot"/> that only a reload swaps; its actors are
/// attached once, when the actor system starts. An embedding application reads its settings, its drain state and
/// where it listens.
/// </summary>
internal sealed class GatewayRuntime : IGateway
{
    private Snapshot _current;
    private GatewayActors? _actors;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, GatewayState> _listenerStates = new();

    /// <summary>What a reload swaps in one step, so a request sees the old or the new routing, never a mix.</summary>
    internal sealed record Snapshot(GatewaySettings Settings, IReadOnlyList<UpstreamHandle> Upstreams, RouteTable Routes);

    private GatewayRuntime(GatewaySettings settings, ListenerRegistry listeners, int generation, IReadOnlyList<string> inherited, TimeProvider time)
    {
        Time = time;
        Listeners = listeners;
        Generation = generation;
        Inherited = inherited;
        State = new GatewayState(time);
        Metrics = new Telemetry.GatewayMetrics(this);
        EndpointDrains = new EndpointDrains(settings.Drain.Deadline);
        var upstreams = settings.Upstreams.Select(u => new UpstreamHandle(u, time)).ToList();
        foreach (var upstream in upstreams) upstream.Drains = EndpointDrains;
        _current = new Snapshot(settings, upstreams, new RouteTable(settings.Routes, upstreams, Metrics, settings.ViaName));
        AccessLog = settings.AccessLog is { } log ? Telemetry.AccessLog.Open(settings, log) : null;
    }

    /// <summary>
    /// Opens a gateway for <paramref name="settings"/>: every listener's socket bound (or taken over from
    /// <paramref name="inherited"/>), certificates loaded, the access log opened. Nothing is served yet.
    /// </summary>
    /// <exception cref="GatewayConfigException">An address cannot be bound, a certificate or the access log cannot be opened.</exception>
    internal static GatewayRuntime Open(GatewaySettings settings, InheritedListeners? inherited, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var adoption = inherited is null ? null : new SocketAdoption(inherited, time);
        var factory = new ListenerFactory(settings, adoption, time);
        var listeners = factory.OpenAll(settings.Listeners);
        try
        {
            var admin = factory.OpenAdmin();
            adoption?.CloseUnadopted();
            return new GatewayRuntime(settings, new ListenerRegistry(listeners, admin),
                inherited is null ? 1 : inherited.Generation + 1, adoption?.Adopted ?? [], time);
        }
        catch
        {
            foreach (var listener in listeners) listener.Close();
            throw;
        }
    }

    // ---- what an embedding application reads ----

    /// <summary>The configuration in force (the latest one a reload accepted).</summary>
    public GatewaySettings Settings => Current.Settings;

    /// <summary>The gateway's drain state: its phase (serving until a drain begins), deadline and outcome.</summary>
    public GatewayState State { get; }

    /// <summary>1 for a gateway started fresh; one more than its predecessor's after a hot restart.</summary>
    public int Generation { get; }

    /// <summary>The address a listener is bound to (port 0 in the configuration is a real port here).</summary>
    /// <exception cref="KeyNotFoundException">No listener has that name.</exception>
    public IPEndPoint AddressOf(string listener) =>
        Listeners.All.FirstOrDefault(l => l.Name == listener)?.Address ?? throw new KeyNotFoundException($"no listener {listener}");

    /// <summary>The address the admin socket is bound to.</summary>
    public IPEndPoint AdminAddress => Listeners.Admin.Address;

    // ---- fixed when opened ----

    /// <summary>The clock of the lifecycle: connection ages and idle times, the unbind's waits, certificates, drain state.</summary>
    internal TimeProvider Time { get; }

    internal ListenerRegistry Listeners { get; }

    /// <summary>The listeners this process took over from its predecessor (hot restart) or from systemd.</summary>
    internal IReadOnlyList<string> Inherited { get; }

    /// <summary>The access log, when configured.</summary>
    internal Telemetry.AccessLog? AccessLog { get; }

    /// <summary>The Prometheus metrics of this gateway (GET /metrics).</summary>
    internal Telemetry.GatewayMetrics Metrics { get; }

    /// <summary>The endpoint drains an operator asked for (this node's and, on a cluster, the replicated ones).</summary>
    internal EndpointDrains EndpointDrains { get; }

    /// <summary>The state of a listener's own drain (GET /drain shows it beside the gateway's).</summary>
    internal GatewayState ListenerState(string listener) => _listenerStates.GetOrAdd(listener, _ => new GatewayState(Time));

    // ---- swapped by a reload ----

    internal Snapshot Current => Volatile.Read(ref _current);

    internal IReadOnlyList<UpstreamHandle> Upstreams => Current.Upstreams;

    /// <summary>Only the reloader swaps the snapshot (one reload at a time).</summary>
    internal void Swap(Snapshot next)
    {
        foreach (var upstream in next.Upstreams) upstream.Drains = EndpointDrains;
        Volatile.Write(ref _current, next);
    }

    // ---- attached once, when the actor system starts ----

    /// <summary>The gateway's actors start once, with the actor system.</summary>
    /// <exception cref="InvalidOperationException">They were attached already (one runtime serves one actor system).</exception>
    internal void Attach(GatewayActors actors)
    {
        if (Interlocked.CompareExchange(ref _actors, actors, null) is not null)
            throw new InvalidOperationException("this gateway's actors were started already: a GatewayRuntime serves one actor system");
    }

    private GatewayActors? Actors => Volatile.Read(ref _actors);

    /// <summary>The root of the actor tree (Nobody until the actor system has started).</summary>
    internal IActorRef Supervisor => Actors?.Supervisor ?? ActorRefs.Nobody;

    /// <summary>The drain driver (<see cref="DrainDriver"/>): every drain goes through it (Nobody until started).</summary>
    internal IActorRef Driver => Actors?.Driver ?? ActorRefs.Nobody;

    /// <summary>Serves the tcp listeners.</summary>
    internal Connections.TcpRelay? Tcp => Actors?.Tcp;

    /// <summary>This gateway as a cluster node; null when not clustered (or not started).</summary>
    internal Gateway.Cluster.GatewayCluster? Cluster => Actors?.Cluster;

    /// <summary>The version of the replicated routes and upstreams in force (0: this node's own file, never replicated).</summary>
    internal long ConfigVersion => Cluster?.Version.Value ?? 0;

    /// <summary>A drain that ends in the process's exit (a signal, a hot restart): t = 0 is now.</summary>
    internal void BeginExit(DrainReason reason) => Driver.Tell(new DrainCommands.Begin(reason, Exit: true));

    /// <summary>Force the drain now (a second signal): whatever is still open is closed at once.</summary>
    internal void ForceNow() => Driver.Tell(DrainCommands.Force.Instance);
}
