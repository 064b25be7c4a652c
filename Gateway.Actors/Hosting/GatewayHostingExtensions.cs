using System.Net.Sockets;
using Akka.Hosting;
using Gateway.Configuration;
using Gateway.Connections;
using Gateway.HotRestart;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Gateway.Routing;
using Gateway.Upstreams;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>Puts a gateway into an ASP.NET Core application: sockets, Kestrel, the actor tree and the drain wiring.</summary>
public static class GatewayHostingExtensions
{
    /// <summary>
    /// Binds every listener's socket (the gateway owns them; Kestrel serves them through <c>ListenHandle</c>), adds
    /// the actor system with the gateway tree, and wires the drain into the host's stop.
    /// </summary>
    /// <exception cref="GatewayConfigException">A listener address cannot be bound (in use, not local…).</exception>
    public static GatewayRuntime AddGateway(this WebApplicationBuilder builder, GatewaySettings settings, InheritedListeners? inherited = null)
    {
        var adopted = new List<string>();
        ListenerHandle Open(string name, string key, System.Net.IPEndPoint address)
        {
            // By name at a matching address (port 0 in the config takes whatever port the socket has),
            // else an unnamed socket (systemd without FileDescriptorName=) at exactly this address.
            var match = inherited?.Sockets.FirstOrDefault(s =>
                !adopted.Contains(s.Key)
                && (s.Key == name && (address.Port == 0 ? address.Address.Equals(s.Value.Address.Address) : address.Equals(s.Value.Address))
                    || address.Port != 0 && address.Equals(s.Value.Address)));
            if (match is { Value: { } socket, Key: { } socketName })
            {
                adopted.Add(socketName);
                // Generation 0: systemd passed it (and keeps its copy); otherwise the previous generation did.
                return ListenerHandle.Adopt(name, socket.Descriptor, heldBySystem: inherited!.Generation == 0);
            }
            return BindOrExplain(settings, key, () => ListenerHandle.Bind(name, address));
        }

        var listeners = settings.Listeners
            .Select(l => WithCertificates(settings, l, Open(l.Name, $"gateway.listeners.{l.Name}.address", l.Address).Configure(l)))
            .ToList();
        var admin = Open(ListenerRegistry.AdminName, "gateway.admin.address", settings.Admin.Address);
        // Sockets the new config does not serve: our copies go; the predecessor closes its own when it drains.
        foreach (var (name, socket) in inherited?.Sockets ?? new Dictionary<string, InheritedSocket>())
            if (!adopted.Contains(name))
                HandoffProtocol.CloseDescriptor(socket.Descriptor);

        var runtime = new GatewayRuntime(settings, new ListenerRegistry(listeners, admin),
            settings.Upstreams.Select(u => new UpstreamHandle(u)).ToList(), new GatewayState(TimeProvider.System))
        {
            Generation = inherited is null ? 1 : inherited.Generation + 1,
            Inherited = adopted,
            AccessLog = settings.AccessLog is { } log ? OpenAccessLog(settings, log) : null,
        };

        var services = builder.Services;
        services.AddSingleton(runtime);
        services.AddSingleton(runtime.Listeners);
        services.AddSingleton(runtime.State);
        services.AddSingleton<GatewayRequestHandler>();
        services.AddSingleton<GatewayReloader>();
        services.AddSingleton<DrainController>();
        services.AddHttpForwarder();
        services.AddSingleton<IConnectionListenerFactory, RecordingListenerFactory>();
        services.AddHostedService<DrainCoordinator>();
        services.AddSingleton<Tls.TlsService>();
        services.AddHostedService(provider => provider.GetRequiredService<Tls.TlsService>());
        services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownPhases.Budget(settings.Drain, settings.Cluster.Enabled));

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            ConfigureServer(kestrel, settings.Limits);
            // A tcp listener's socket is never given to Kestrel: TcpRelay accepts on it.
            foreach (var listener in listeners.Where(l => l.Protocol == ListenerProtocol.Http))
                ListenOn(kestrel, runtime, listener);
            kestrel.ListenHandle(admin.FileHandle);
        });

        services.AddAkka("gateway", (akka, provider) => akka.WithGateway(runtime, provider));
        return runtime;
    }

    /// <summary>Adds the gateway's request handling: requests on gateway listeners never reach later middleware.</summary>
    public static WebApplication UseGateway(this WebApplication app)
    {
        var handler = app.Services.GetRequiredService<GatewayRequestHandler>();
        UseWebSocketHandshakes(app);
        app.Use((context, next) => GatewayRequestHandler.ConnectionOf(context) is { } connection
            ? Serve(context, connection, handler)
            : next(context));
        return app;
    }

    /// <summary>One request on a gateway listener: its connection sees it arrive, then admission and the handler.</summary>
    internal static Task Serve(Microsoft.AspNetCore.Http.HttpContext context, KestrelConnection connection, GatewayRequestHandler handler)
    {
        connection.RequestArrived(context.Response);
        return RequestAdmission.RunAsync(context, connection.Listener.Limits, c => handler.HandleAsync(c, connection));
    }

    /// <summary>
    /// Lets the gateway accept WebSockets itself (it relays them message by message, see WebSocketRelay). Only upgrade
    /// and CONNECT requests pass through the handshake middleware, which allocates per request.
    /// </summary>
    internal static void UseWebSocketHandshakes(IApplicationBuilder app) =>
        app.UseWhen(context => context.Request.Headers.Upgrade.Count > 0 || Microsoft.AspNetCore.Http.HttpMethods.IsConnect(context.Request.Method),
            branch => branch.UseWebSockets());

    /// <summary>Adds the gateway's HOCON, logging and actor tree to an actor system (also one that is a cluster node).</summary>
    public static AkkaConfigurationBuilder WithGateway(this AkkaConfigurationBuilder akka, GatewayRuntime runtime, IServiceProvider provider)
    {
        var loggerFactory = provider.GetRequiredService<ILoggerFactory>();
        var clustered = runtime.Settings.Cluster.Enabled;
        // Beneath the user's file: an akka.* key written there wins over what gateway.cluster derives.
        if (clustered) akka.AddHocon(Gateway.Cluster.ClusterHocon.For(runtime.Settings.Cluster), HoconAddMode.Prepend);
        akka.AddHocon(runtime.Settings.Hocon, HoconAddMode.Prepend);
        akka.AddHocon(ShutdownPhases.TimeoutsHocon(runtime.Settings.Drain, clustered), HoconAddMode.Prepend);
        akka.ConfigureLoggers(loggers =>
        {
            loggers.ClearLoggers();
            loggers.AddLoggerFactory(loggerFactory);
        });
        akka.WithActors((system, registry) =>
        {
            var supervisor = system.ActorOf(GatewaySupervisor.Props(runtime.Listeners.All, runtime.Upstreams), GatewaySupervisor.Name);
            registry.Register<GatewaySupervisor>(supervisor);
            runtime.Supervisor = supervisor;
            var drain = runtime.Settings.Drain;
            runtime.Driver = system.ActorOf(DrainDriver.Props(supervisor, new DrainTimeline(drain.Announce, drain.Deadline, drain.IdleClose),
                runtime.State, ShutdownPhases.Hooks(runtime), loggerFactory.CreateLogger("Gateway.Drain")), DrainDriver.Name);
            runtime.Tcp = new TcpRelay(runtime, loggerFactory.CreateLogger("Gateway.Tcp"));
            foreach (var listener in runtime.Listeners.All.Where(l => l.Protocol == ListenerProtocol.Tcp))
                runtime.Tcp.Serve(listener);
            runtime.AccessLog?.Start(system, loggerFactory.CreateLogger("Gateway.AccessLog"));
            if (clustered) runtime.Cluster = Gateway.Cluster.GatewayCluster.Start(system, runtime, provider, loggerFactory);
            ShutdownPhases.Register(system, runtime, loggerFactory.CreateLogger("Gateway.Drain"));
        });
        return akka;
    }

    internal static void ConfigureServer(KestrelServerOptions kestrel, LimitSettings limits)
    {
        kestrel.AddServerHeader = false;
        // h2c connections carry the client's :scheme (http); see CleartextHttp2Detection.
        kestrel.AllowAlternateSchemes = true;
        // Content-Length must be digits, and the headers a Connection header names must be seen (see there).
        kestrel.RequestHeaderEncodingSelector = RequestHeaderReading.Select;
        ServerLimits.Apply(kestrel.Limits, limits);
    }

    /// <summary>
    /// Serves one gateway listener's socket: HTTP/1.1 and h2c, or TLS with ALPN (h2, http/1.1); one ConnectionActor
    /// per connection. On a TLS listener the order is: the arrival and the guard (raw bytes: plain HTTP turned away,
    /// refusals counted), Kestrel's HTTPS (certificate chosen by SNI), then the gateway's middleware on the decrypted
    /// connection, where ALPN has already chosen the protocol.
    /// </summary>
    internal static void ListenOn(KestrelServerOptions kestrel, GatewayRuntime runtime, ListenerHandle listener)
    {
        listener.TracksConnections = true;
        kestrel.ListenHandle(listener.FileHandle, options =>
        {
            options.Protocols = HttpProtocols.Http1AndHttp2;
            // First, before a TLS handshake or a byte is read: a connection over the limit costs nothing more.
            options.Use(next => context => AdmitAsync(listener, context, next));
            if (listener.Tls is { } certificates)
            {
                options.Use(next => context => ArriveOverTlsAsync(listener, context, next));
                options.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = certificates.Select,
                    SslProtocols = certificates.Settings.Protocols,
                    ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.NoCertificate,
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                    OnAuthenticate = (context, ssl) => Tls.TlsConnectionGuard.ChooseCertificate(certificates, context, ssl),
                });
            }
            options.Use(next => context => ServeConnectionAsync(runtime, listener, context, next));
        });
    }

    /// <summary>Closes a connection beyond the listener's <c>max-connections</c> at once (FIN, nothing sent).</summary>
    private static async Task AdmitAsync(ListenerHandle listener, ConnectionContext context, ConnectionDelegate next)
    {
        if (!listener.TryAdmit())
            return;
        try
        {
            await next(context);
        }
        finally
        {
            listener.Release();
        }
    }

    /// <summary>
    /// A TLS connection arrives before its handshake, so that the unbind accounts for it: it stays "silent" until it
    /// reaches the actor tree (after the handshake) or closes, and a drain waits for handshakes under way.
    /// </summary>
    private static async Task ArriveOverTlsAsync(ListenerHandle listener, ConnectionContext context, ConnectionDelegate next)
    {
        var connection = new KestrelConnection(context, listener);
        listener.ConnectionArrived(connection);
        context.Items[KestrelConnection.ArrivingKey] = connection;
        try
        {
            await Tls.TlsConnectionGuard.GuardAsync(listener, context, next, connection.CloseRequested);
        }
        finally
        {
            // Refused or gone before it was registered (otherwise a no-op).
            listener.ConnectionSpoke(connection);
            // Ended only now, after the TLS layer sent its last bytes: the drain (and the process's exit) waits for them.
            if (connection.Registered) EndConnection(listener, connection);
        }
    }

    /// <summary>Kestrel connection middleware: one ConnectionActor per connection, told when it opens and ends.</summary>
    private static async Task ServeConnectionAsync(GatewayRuntime runtime, ListenerHandle listener, ConnectionContext context, ConnectionDelegate next)
    {
        KestrelConnection connection;
        if (listener.Tls is not null)
        {
            // Arrived before the handshake; decrypted now: ALPN chose the protocol, there is no preface to sniff.
            connection = (KestrelConnection)context.Items[KestrelConnection.ArrivingKey]!;
            var negotiated = context.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? ReadOnlyMemory<byte>.Empty;
            if (!Tls.TlsConnectionGuard.Admit(context, negotiated.Span))
                return;
            connection.IsHttp2 = negotiated.Span.SequenceEqual("h2"u8);
            Register(runtime, listener, context, connection);
            listener.ConnectionSpoke(connection);
        }
        else
        {
            connection = new KestrelConnection(context, listener);
            listener.ConnectionArrived(connection);
            try
            {
                using var sniffTimeout = CancellationTokenSource.CreateLinkedTokenSource(connection.CloseRequested);
                // A silent connection gets what Kestrel gives a slow request head: the header timeout.
                sniffTimeout.CancelAfter(listener.Limits.HeaderTimeout);
                var protocol = await CleartextHttp2Detection.DetectAsync(context, sniffTimeout.Token);
                if (protocol == CleartextHttp2Detection.ClientProtocol.None)
                    return;
                connection.IsHttp2 = protocol == CleartextHttp2Detection.ClientProtocol.Http2;
                Register(runtime, listener, context, connection);
            }
            finally
            {
                listener.ConnectionSpoke(connection);
            }
        }
        var output = connection.Http2Output;
        try
        {
            await next(context);
        }
        finally
        {
            // Its last frames are sent first: the connection has not ended before they are.
            if (output is not null) await output.DisposeAsync();
            // A TLS connection ends in ArriveOverTlsAsync, outside the TLS layer.
            if (listener.Tls is null) EndConnection(listener, connection);
        }
    }

    private static void EndConnection(ListenerHandle listener, KestrelConnection connection)
    {
        listener.ConnectionClosed();
        connection.MarkClosed();
    }

    /// <summary>Hands the connection to the actor tree; from here on its requests are the gateway's.</summary>
    private static void Register(GatewayRuntime runtime, ListenerHandle listener, ConnectionContext context, KestrelConnection connection)
    {
        context.Items[KestrelConnection.ItemsKey] = connection;
        // Before the actor exists: a drain that reaches it at once sends its first GOAWAY through this output.
        if (connection.IsHttp2) connection.Http2Output = CoalescingOutput.Install(context);
        connection.ArrivedGoingAway = listener.GoingAway;
        connection.Registered = true;
        listener.ConnectionOpened();
        runtime.Supervisor.Tell(new GatewaySupervisor.ConnectionAccepted(listener.Name, connection));
        listener.ConnectionRegistered();
    }

    private static Telemetry.AccessLog OpenAccessLog(GatewaySettings settings, AccessLogSettings log)
    {
        TextWriter sink;
        try
        {
            sink = log.Path == "stdout" ? Console.Out : new StreamWriter(new FileStream(log.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GatewayConfigException(settings.Source, "gateway.access-log.path", $"cannot open {log.Path}: {e.Message}", e);
        }
        return new Telemetry.AccessLog(sink, log.Buffer);
    }

    /// <summary>Loads a TLS listener's certificates; a file that cannot be served is a config error naming its key.</summary>
    internal static ListenerHandle WithCertificates(GatewaySettings settings, ListenerSettings wanted, ListenerHandle listener)
    {
        if (wanted.Tls is not { } tls) return listener;
        try
        {
            listener.Tls = new Tls.CertificateStore(wanted.Name, tls, TimeProvider.System);
            return listener;
        }
        catch (Tls.CertificateException e)
        {
            var key = tls.AllFiles.FirstOrDefault(f => f.Certificate == e.File || f.PrivateKey == e.File)?.Key ?? $"gateway.listeners.{wanted.Name}.tls";
            throw new GatewayConfigException(settings.Source, key, e.Message, e);
        }
    }

    /// <summary>Runs a bind; an address that cannot be bound becomes a config error naming its key.</summary>
    internal static T BindOrExplain<T>(GatewaySettings settings, string key, Func<T> bind)
    {
        try
        {
            return bind();
        }
        catch (SocketException e)
        {
            var problem = e.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "the address is already in use (another process listens there)",
                SocketError.AddressNotAvailable => "the address is not one of this machine's",
                SocketError.AccessDenied => "permission denied (ports below 1024 need privileges)",
                _ => $"cannot bind: {e.Message}",
            };
            throw new GatewayConfigException(settings.Source, key, problem, e);
        }
    }
}
