using Gateway.Configuration;
using Gateway.Host.Admin;
using Gateway.Host.Logging;
using Gateway.Hosting;
using Gateway.HotRestart;
using Gateway.Listeners;

namespace Gateway.Host;

/// <summary>One gateway process's application: Kestrel with the gateway listeners, the admin API and the actor tree.</summary>
public sealed class GatewayApplication
{
    private GatewayApplication(WebApplication app, GatewayRuntime runtime)
    {
        App = app;
        Runtime = runtime;
    }

    public WebApplication App { get; }
    internal GatewayRuntime Runtime { get; }

    /// <summary>The admin listener (its address is the bound one: port 0 in the config becomes real here).</summary>
    internal ListenerHandle Admin => Runtime.Listeners.Admin;

    /// <summary>Binds every socket and builds the application; nothing is served before <c>App.StartAsync</c>.</summary>
    /// <exception cref="GatewayConfigException">An address cannot be bound.</exception>
    public static GatewayApplication Create(GatewaySettings settings, Action<ILoggingBuilder>? logging = null) =>
        Create(settings, logging, inherited: null);

    /// <summary>As above, for a generation that takes over the sockets of its predecessor (or of systemd).</summary>
    internal static GatewayApplication Create(GatewaySettings settings, Action<ILoggingBuilder>? logging, InheritedListeners? inherited)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        if (logging is null)
            builder.Logging.AddGatewayConsole(settings.JsonLogs);
        else
            logging(builder.Logging);
        // Per-request framework logs cost throughput; the gateway logs its own lifecycle events.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // With any level enabled, ASP.NET Core's hosting diagnostics start an Activity and a log scope per request.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Kestrel warns that cleartext HTTP/2 is off on our listeners; CleartextHttp2Detection turns it on.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
        // YARP's forwarder logs two Information lines per request; the gateway logs forwarding failures itself.
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);

        var runtime = builder.AddGateway(settings, inherited);
        builder.Services.AddSingleton<SampleHistory>();
        builder.Services.AddHostedService<AdminSampler>();

        var app = builder.Build();
        app.UseGateway();
        app.UseRouting();
        app.MapAdmin(runtime);
        return new GatewayApplication(app, runtime);
    }
}
