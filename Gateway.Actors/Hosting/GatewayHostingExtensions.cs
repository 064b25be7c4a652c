using Akka.Hosting;
using Gateway.Configuration;
using Gateway.HotRestart;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Gateway.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// Puts a gateway into an ASP.NET Core application. <see cref="AddGateway(WebApplicationBuilder, GatewaySettings, bool)"/>
/// binds its sockets and registers its services and Kestrel endpoints; <see cref="WithGateway(AkkaConfigurationBuilder, IServiceProvider)"/> adds its actor tree
/// and drain to an actor system (its own, or the application's); <see cref="UseGateway"/> serves its requests.
/// </summary>
public static class GatewayHostingExtensions
{
    /// <summary>
    /// Binds every listener's socket (the gateway owns them; Kestrel serves them through <c>ListenHandle</c>),
    /// registers the gateway's services, and wires its drain into the host's stop. With
    /// <paramref name="ownActorSystem"/> the gateway runs in an actor system of its own; without it, the application
    /// adds it to its own with <see cref="WithGateway(AkkaConfigurationBuilder, IServiceProvider)"/> in its <c>AddAkka</c>.
    /// </summary>
    /// <exception cref="GatewayConfigException">A listener address cannot be bound (in use, not local…), a certificate cannot be served.</exception>
    public static IGateway AddGateway(this WebApplicationBuilder builder, GatewaySettings settings, bool ownActorSystem = true) =>
        builder.AddGateway(settings, inherited: null, ownActorSystem);

    /// <summary>As the public overload, for a generation that takes over the sockets of its predecessor (or of systemd).</summary>
    internal static GatewayRuntime AddGateway(this WebApplicationBuilder builder, GatewaySettings settings, InheritedListeners? inherited, bool ownActorSystem = true)
    {
        var runtime = GatewayRuntime.Open(settings, inherited);
        var services = builder.Services;
        services.AddSingleton(runtime);
        services.AddSingleton<IGateway>(runtime);
        services.AddSingleton(runtime.Listeners);
        services.AddSingleton(runtime.State);
        services.AddSingleton<GatewayRequestHandler>();
        services.AddSingleton<GatewayReloader>();
        services.AddSingleton<DrainController>();
        services.AddHttpForwarder();
        services.AddSingleton<IConnectionListenerFactory, OwnedSocketTransport>();
        services.AddHostedService<DrainCoordinator>();
        services.AddSingleton<Tls.TlsService>();
        services.AddHostedService(provider => provider.GetRequiredService<Tls.TlsService>());
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownPhases.Budget(settings.Drain, settings.Cluster.Enabled));
        // One line per failed request is the gateway's own (route, endpoint, error, reason; the stack trace at debug):
        // YARP's forwarder would add its own warning with the whole stack for each.
        builder.Logging.AddFilter("Yarp.ReverseProxy.Forwarder", LogLevel.Error);
        builder.WebHost.ConfigureKestrel(kestrel => GatewayKestrel.Configure(kestrel, runtime));
        if (ownActorSystem)
            services.AddAkka("gateway", (akka, provider) => akka.WithGateway(runtime, provider));
        return runtime;
    }

    /// <summary>Serves the gateway's requests: a request on a gateway listener never reaches later middleware.</summary>
    public static WebApplication UseGateway(this WebApplication app)
    {
        GatewayRequestPipeline.Use(app, app.Services.GetRequiredService<GatewayRequestHandler>());
        return app;
    }

    /// <summary>
    /// Adds the gateway's HOCON, logging and actor tree to an actor system (also one that is a cluster node, or the
    /// application's own): its CoordinatedShutdown then drains the gateway in its service phases, before the
    /// actor system's own actors stop.
    /// </summary>
    /// <exception cref="InvalidOperationException"><c>AddGateway</c> was not called on this application's builder.</exception>
    public static AkkaConfigurationBuilder WithGateway(this AkkaConfigurationBuilder akka, IServiceProvider provider) =>
        akka.WithGateway(provider.GetService<GatewayRuntime>()
            ?? throw new InvalidOperationException("WithGateway needs builder.AddGateway(settings, ownActorSystem: false) first"), provider);

    internal static AkkaConfigurationBuilder WithGateway(this AkkaConfigurationBuilder akka, GatewayRuntime runtime, IServiceProvider provider)
    {
        var loggers = provider.GetRequiredService<ILoggerFactory>();
        var clustered = runtime.Settings.Cluster.Enabled;
        // Beneath the user's file: an akka.* key written there wins over what gateway.cluster derives.
        if (clustered) akka.AddHocon(Gateway.Cluster.ClusterHocon.For(runtime.Settings.Cluster), HoconAddMode.Prepend);
        akka.AddHocon(runtime.Settings.Hocon, HoconAddMode.Prepend);
        akka.AddHocon(Gateway.Connections.ConnectionMailbox.Hocon, HoconAddMode.Append);
        akka.AddHocon(ShutdownPhases.TimeoutsHocon(runtime.Settings.Drain, clustered), HoconAddMode.Prepend);
        // Akka's log goes to the application's log providers, its message alone (Telemetry/AkkaLogSink).
        akka.AddSetup(new Telemetry.AkkaLogSinkSetup(loggers));
        akka.ConfigureLoggers(logging =>
        {
            logging.ClearLoggers();
            logging.AddLogger<Telemetry.AkkaLogSink>();
        });
        akka.WithActors((system, registry) => registry.Register<GatewaySupervisor>(GatewayActors.Start(system, runtime, provider, loggers).Supervisor));
        return akka;
    }
}
