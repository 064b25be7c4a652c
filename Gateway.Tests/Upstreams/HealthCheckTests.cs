using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// Active health checks against real endpoints: one that fails its readiness leaves the rotation at once and comes
/// back with a slow start, again and again as it flaps, without a client noticing; when every endpoint fails its
/// checks the least bad still serves, and when every endpoint is gone the answer is a 502 with the reason.
/// </summary>
public sealed class HealthCheckTests(ITestOutputHelper output) : UpstreamTestBase
{
    private Task<InProcessGateway> GatewayAsync(params UpstreamServer[] endpoints) => GatewayAsync($$"""
        endpoints = [{{string.Join(", ", endpoints.Select(e => $"\"{e.Endpoint}\""))}}], connect-timeout = 2s
        health-check { path = "/ready", interval = 100ms, timeout = 1s, unhealthy-after = 1, healthy-after = 2 }
        slow-start = 2s
        """);

    private static int Served(UpstreamServer server) => server.Completed.Count(c => c.StartsWith("GET /hello", StringComparison.Ordinal));

    [Fact]
    public async Task An_endpoint_that_flaps_leaves_the_rotation_at_once_and_comes_back_with_a_slow_start_and_no_client_notices()
    {
        var flapping = await Own(UpstreamServer.StartAsync("flapping"));
        var steady = await Own(UpstreamServer.StartAsync("steady"));
        var gateway = await GatewayAsync(flapping, steady);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var statuses = new System.Collections.Concurrent.ConcurrentBag<HttpStatusCode>();
        var load = Task.Run(async () =>
        {
            for (var i = 0; i < 200_000 && !stop.IsCancellationRequested; i++)
                statuses.Add((await Client.GetAsync(new Uri(gateway.Listener(), "/hello"), stop.Token)).StatusCode);
        });
        async Task<EndpointView> ViewAsync() => (await EndpointView.OfAsync(Client, gateway.Admin))[flapping.Endpoint];

        for (var flap = 1; flap <= 3; flap++)
        {
            await Wait.UntilAsync(() => Served(flapping) > 0 && statuses.Count > 50 * flap);
            flapping.Ready = false;
            await Wait.UntilAsync(async () => (await ViewAsync()).State == "unhealthy", stop.Token);
            await Task.Delay(100);  // a request picked just before the check failed may still be finishing there
            var servedWhileOut = Served(flapping);
            var sentWhileOut = statuses.Count;
            await Wait.UntilAsync(() => statuses.Count >= sentWhileOut + 20, stop.Token);
            Assert.Equal(servedWhileOut, Served(flapping));  // out of rotation: not one of 20 requests more

            flapping.Ready = true;
            await Wait.UntilAsync(async () => (await ViewAsync()).State == "healthy", stop.Token);
            var back = await ViewAsync();
            Assert.InRange(back.Share, 0.1, 0.99);  // ramping up, not its full share at once
            await Wait.UntilAsync(() => Served(flapping) > servedWhileOut, stop.Token);
            await Wait.UntilAsync(async () => (await ViewAsync()).Share == 1, stop.Token);
            output.WriteLine($"flap {flap}: out of rotation while not ready, back with share {back.Share:0.00} ramping to 1");
        }
        stop.Cancel();
        await load.ContinueWith(_ => { });
        output.WriteLine($"{statuses.Count} requests during 3 flaps: {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{(int)g.Key}×{g.Count()}"))}");
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var metrics = await Client.GetStringAsync(new Uri(gateway.Admin, "/metrics"));
        Assert.True(Metrics.Sum(metrics, "gateway_upstream_health_checks_total", "result=\"failed\"", $"endpoint=\"{flapping.Endpoint}\"") >= 3);
        Assert.Equal(1, Metrics.Sum(metrics, "gateway_upstream_endpoint_state", $"endpoint=\"{flapping.Endpoint}\"", "state=\"healthy\""));
    }

    [Fact]
    public async Task With_every_endpoint_failing_its_checks_the_least_bad_still_serves_and_with_every_one_gone_the_answer_is_a_502()
    {
        var a = await UpstreamServer.StartAsync("a");
        var b = await UpstreamServer.StartAsync("b");
        var gateway = await GatewayAsync(a, b);
        a.Ready = b.Ready = false;
        await Wait.UntilAsync(async () => (await EndpointView.OfAsync(Client, gateway.Admin)).Values.All(e => e.State == "unhealthy"));

        for (var i = 0; i < 20; i++)
            Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(new Uri(gateway.Listener(), "/hello"))).StatusCode);
        Assert.Equal(20, Served(a) + Served(b));
        output.WriteLine($"every endpoint unhealthy: 20 of 20 GETs served by the least bad ({Served(a)} by a, {Served(b)} by b)");

        await a.DisposeAsync();
        await b.DisposeAsync();
        await Wait.UntilAsync(async () => (await EndpointView.OfAsync(Client, gateway.Admin)).Values.All(e => e.LastCheckPassed == false && e.State == "unhealthy"));
        for (var i = 0; i < 5; i++)
        {
            var response = await Client.GetAsync(new Uri(gateway.Listener(), "/hello"));
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains("upstream app", await response.Content.ReadAsStringAsync());
        }
        var view = await EndpointView.OfAsync(Client, gateway.Admin);
        Assert.All(view.Values, e => Assert.True(e.Failures > 0));
    }
}
