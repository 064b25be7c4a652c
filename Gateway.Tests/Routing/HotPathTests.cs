using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Routing;

/// <summary>The actors own the lifecycle, not the requests: serving requests on an open connection sends no actor message.</summary>
public sealed class HotPathTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Requests_on_an_open_connection_send_no_actor_message()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{upstream.Endpoint}}"] }
              routes.app    { listener = public, path-prefix = "/", upstream = app }
              routes.fixed  { listener = public, path-prefix = "/fixed", direct-response { status = 200, body = "fixed" } }
            }
            {{CountingMailbox.Hocon}}
            """);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 1 });
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(gateway.Listener(), "/hello"))).StatusCode);
        // The connection's actor is created and registered by messages; let them all arrive.
        long baseline;
        do
        {
            baseline = CountingMailbox.Enqueued;
            await Task.Delay(300);
        } while (CountingMailbox.Enqueued != baseline);

        for (var i = 0; i < 300; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(gateway.Listener(), "/hello"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(gateway.Listener(), "/fixed"))).StatusCode);
        }
        await Task.Delay(300);

        var during = CountingMailbox.Enqueued - baseline;
        output.WriteLine($"actor messages: {baseline} to build the tree and open the connection, {during} for 600 requests");
        Assert.True(baseline > 0, "the counting mailbox must see the tree's own messages");
        Assert.Equal(0, during);
    }
}
