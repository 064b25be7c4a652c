using System.Net;
using Gateway.Tests.Support;
using Gateway.Tests.Tls;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// An HTTP/2 upstream endpoint that shuts down gracefully (GOAWAY, then it refuses connections) while requests flow:
/// its streams finish, later requests go to the other endpoint, and no client request fails.
/// </summary>
public sealed class Http2UpstreamGoAwayTests(ITestOutputHelper output) : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task An_upstream_endpoint_sending_goaway_and_leaving_fails_no_client_request()
    {
        var certificate = _pki.Issue("upstream", ["localhost"]);
        var leaving = await TlsUpstream.StartAsync(_pki, certificate);
        await using var staying = await TlsUpstream.StartAsync(_pki, certificate);
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.secure { endpoints = ["https://localhost:{{leaving.Port}}", "https://localhost:{{staying.Port}}"], tls { ca = "{{_pki.CaFile}}" } }
              routes.app { listener = public, path-prefix = "/", upstream = secure }
            }
            """);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
        Assert.StartsWith("hello over HTTP/2", await client.GetStringAsync(new Uri(gateway.Listener(), "/hello")));

        var loops = new LoadLoops(new IPEndPoint(IPAddress.Loopback, gateway.Listener().Port), loops: 4, maxRequestsPerLoop: 400);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var running = loops.RunAsync(stop.Token);
        await Wait.UntilAsync(() => Task.FromResult(loops.Succeeded >= 200), stop.Token);
        await leaving.DisposeAsync(); // graceful: GOAWAY on its HTTP/2 connections, then its port is closed
        await running;

        output.WriteLine($"HTTP/2 upstream endpoint left mid-load: {loops.Summary}");
        Assert.Empty(loops.Failures);
        Assert.Equal(1600, loops.Succeeded);
    }
}
