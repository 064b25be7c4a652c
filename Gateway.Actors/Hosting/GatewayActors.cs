using Akka.Actor;
using Gateway.Cluster;
using Gateway.Configuration;
using Gateway.Connections;
using Gateway.Lifecycle;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// The gateway's part of an actor system: the root of its tree, the drain driver, the tcp relay and, when
/// clustered, the cluster node; started by <see cref="GatewayHostingExtensions.WithGateway(Akka.Hosting.AkkaConfigurationBuilder, IServiceProvider)"/>, attached to the
/// runtime once, with the drain's CoordinatedShutdown tasks registered.
/// </summary>
internal sealed record GatewayActors(IActorRef Supervisor, IActorRef Driver, TcpRelay Tcp, GatewayCluster? Cluster)
{
    public static GatewayActors Start(ActorSystem system, GatewayRuntime runtime, IServiceProvider provider, ILoggerFactory loggers)
    {
        var settings = runtime.Settings;
        var supervisor = system.ActorOf(GatewaySupervisor.Props(runtime.Listeners.All, runtime.Upstreams), GatewaySupervisor.Name);
        var drainLogger = loggers.CreateLogger("Gateway.Drain");
        var driver = system.ActorOf(DrainDriver.Props(supervisor,
            new DrainTimeline(settings.Drain.Announce, settings.Drain.Deadline, settings.Drain.IdleClose),
            runtime.State, ShutdownPhases.Hooks(runtime), drainLogger), DrainDriver.Name);
        var tcp = new TcpRelay(runtime, loggers.CreateLogger("Gateway.Tcp"));
        var cluster = settings.Cluster.Enabled ? GatewayCluster.Start(system, runtime, provider, loggers) : null;
        var actors = new GatewayActors(supervisor, driver, tcp, cluster);
        runtime.Attach(actors);

        foreach (var listener in runtime.Listeners.All.Where(l => l.Protocol == ListenerProtocol.Tcp))
            tcp.Serve(listener);
        runtime.AccessLog?.Start(system, loggers.CreateLogger("Gateway.AccessLog"));
        ShutdownPhases.Register(system, runtime, drainLogger);
        return actors;
    }
}
