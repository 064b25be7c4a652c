using Gateway.Tests.Grpc;
using Gateway.Tests.Grpc.Proto;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// gRPC health checks (<c>health-check { protocol = grpc }</c>) against real gRPC servers whose health service is
/// Grpc.AspNetCore.HealthChecks: an endpoint that turns NOT_SERVING leaves the rotation (no call reaches it), and one
/// that turns SERVING again comes back and is called.
/// </summary>
public sealed class GrpcHealthCheckTests(ITestOutputHelper output) : UpstreamTestBase
{
    [Fact]
    public async Task An_h2c_endpoint_whose_health_service_says_NOT_SERVING_leaves_the_rotation_and_SERVING_brings_it_back()
    {
        var flapping = await Own(GrpcTestServer.StartAsync("flapping"));
        var steady = await Own(GrpcTestServer.StartAsync("steady"));
        var gateway = await Own(InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.grpc {
                endpoints = ["{{flapping.Endpoint()}}", "{{steady.Endpoint()}}"], slow-start = 0s
                health-check { protocol = grpc, interval = 100ms, timeout = 1s, unhealthy-after = 1, healthy-after = 2 }
              }
              routes.echo { listener = public, path-prefix = "/gateway.tests.Echo", upstream = grpc }
            }
            """));
        using var channel = GrpcClients.Channel(gateway.Listener());
        var client = GrpcClients.Echo(channel);
        async Task<EndpointView> ViewAsync() => (await EndpointView.OfAsync(Client, gateway.Admin)).Values.Single(e => e.Endpoint.EndsWith($":{flapping.Port}", StringComparison.Ordinal));
        async Task<List<string>> CallAsync(int count)
        {
            var answers = new List<string>();
            for (var i = 0; i < count; i++) answers.Add((await client.UnaryAsync(new Message { Text = "hi" })).Text);
            return answers;
        }

        await Wait.UntilAsync(async () => await ViewAsync() is { State: "healthy", LastCheckPassed: true });
        Assert.Contains("flapping: hi", await CallAsync(6));

        flapping.Serving = false;
        await Wait.UntilAsync(async () => (await ViewAsync()).State == "unhealthy");
        var report = await Client.GetStringAsync(new Uri(gateway.Admin, "/upstreams"));
        Assert.Contains("NOT_SERVING", report);
        var callsWhileOut = flapping.Calls;
        Assert.All(await CallAsync(20), a => Assert.Equal("steady: hi", a));
        Assert.Equal(callsWhileOut, flapping.Calls);

        flapping.Serving = true;
        await Wait.UntilAsync(async () => (await ViewAsync()).State == "healthy");
        var back = await CallAsync(10);
        output.WriteLine($"out of rotation on NOT_SERVING (20 calls, all to steady); back on SERVING: {string.Join(", ", back.GroupBy(a => a).Select(g => $"{g.Key} ×{g.Count()}"))}");
        Assert.Contains("flapping: hi", back);
        Assert.True(flapping.Calls > callsWhileOut);
    }
}
