using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// What the in-process upstream tests share: a client, the servers and gateways they start (disposed at the end,
/// the last started first), and a gateway whose listener <c>public</c> sends everything to upstream <c>app</c>.
/// </summary>
public abstract class UpstreamTestBase : IAsyncLifetime
{
    private readonly List<IAsyncDisposable> _owned = [];

    protected HttpClient Client { get; } = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    public virtual Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        Client.Dispose();
        foreach (var owned in Enumerable.Reverse(_owned)) await owned.DisposeAsync();
    }

    /// <summary>Disposed when the test ends.</summary>
    protected async Task<T> Own<T>(Task<T> start) where T : IAsyncDisposable
    {
        var started = await start;
        _owned.Add(started);
        return started;
    }

    /// <summary>A gateway on ephemeral ports whose upstream <c>app</c> is <c>{ <paramref name="upstream"/> }</c>.</summary>
    protected Task<InProcessGateway> GatewayAsync(string upstream) => Own(InProcessGateway.StartAsync($$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { {{upstream}} }
          routes.app { listener = public, path-prefix = "/", upstream = app }
        }
        """));

    /// <summary>A port nothing listens on (it was free a moment ago).</summary>
    protected static int FreePort(IPAddress? on = null)
    {
        using var probe = new TcpListener(on ?? IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
