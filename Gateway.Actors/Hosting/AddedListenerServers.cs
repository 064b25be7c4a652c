using Gateway.Listeners;
using Gateway.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// Kestrel cannot add endpoints while it runs, so each listener a reload adds gets a server of its own: the same
/// connection pipeline and request middleware as the main server's listeners, stopped after the drain.
/// </summary>
internal sealed class AddedListenerServers(GatewayRuntime runtime, GatewayRequestHandler handler) : IAsyncDisposable
{
    private readonly List<WebApplication> _servers = [];

    public async Task StartAsync(ListenerHandle listener)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(runtime.Listeners);
        builder.Services.AddSingleton<IConnectionListenerFactory, OwnedSocketTransport>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            GatewayKestrel.ConfigureServer(kestrel, runtime.Settings.Limits);
            GatewayKestrel.Listen(kestrel, runtime, listener);
        });
        var app = builder.Build();
        GatewayRequestPipeline.Use(app, handler);
        await app.StartAsync();
        _servers.Add(app);
    }

    /// <summary>Stops the servers (after the drain, their connections are gone).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var app in _servers)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
