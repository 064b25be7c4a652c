using Gateway.Configuration;
using Gateway.Host;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Support;

/// <summary>A gateway running inside the test process on real Kestrel sockets (ephemeral ports on 127.0.0.1).</summary>
public sealed class InProcessGateway : IAsyncDisposable
{
    private InProcessGateway(GatewayApplication gateway) => Gateway = gateway;

    public GatewayApplication Gateway { get; }

    /// <summary>http://127.0.0.1:port of the named listener.</summary>
    public Uri Listener(string name = "public") =>
        new($"http://{Gateway.Runtime.Listeners.All.Single(l => l.Name == name).Address}");

    public Uri Admin => new($"http://{Gateway.Admin.Address}");

    /// <summary>Starts a gateway from HOCON text (layered over the reference defaults).</summary>
    public static Task<InProcessGateway> StartAsync(string hocon) =>
        StartAsync(hocon, logging => logging.SetMinimumLevel(LogLevel.Warning));

    /// <summary>As above, with the test's own log providers (to read what the gateway logs).</summary>
    public static async Task<InProcessGateway> StartAsync(string hocon, Action<ILoggingBuilder> logging)
    {
        var settings = GatewayConfigLoader.Parse(hocon, "test.conf");
        var gateway = GatewayApplication.Create(settings, logging);
        await gateway.App.StartAsync();
        return new InProcessGateway(gateway);
    }

    /// <summary>Stops the host, which runs the drain.</summary>
    public Task StopAsync() => Gateway.App.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await Gateway.App.StopAsync();
        await Gateway.App.DisposeAsync();
    }
}
