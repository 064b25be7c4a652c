using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// Upstream faults meet a clear answer and cost no request that could have been saved: a dead endpoint leaves the
/// rotation (its requests retried elsewhere, see SafeRetryTests), a reset midway aborts the client's response
/// instead of ending it as if complete, an upstream that closes every connection fails nothing.
/// </summary>
public sealed class UpstreamFaultTests(ITestOutputHelper output) : UpstreamTestBase
{
    private Task<InProcessGateway> GatewayAsync(string endpoints, string upstreamExtra = "") =>
        base.GatewayAsync($"endpoints = [{endpoints}], connect-timeout = 2s {upstreamExtra}");

    [Fact]
    public async Task A_dead_endpoint_costs_no_get_leaves_the_rotation_and_returns_once_it_lives_again()
    {
        var live = await Own(UpstreamServer.StartAsync("live"));
        var deadPort = FreePort();
        var gateway = await GatewayAsync($"\"127.0.0.1:{deadPort}\", \"{live.Endpoint}\"", ", eject-for = 1s");

        for (var i = 0; i < 100; i++)
        {
            var response = await Client.GetAsync(new Uri(gateway.Listener(), "/hello"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var metrics = await Client.GetStringAsync(new Uri(gateway.Admin, "/metrics"));
        var retried = Metrics.UpstreamErrors(metrics, "Retried");
        output.WriteLine($"100 GETs over [dead, live]: all 200; retried {retried} time(s) while the dead endpoint was out of rotation for 1s");
        Assert.InRange(retried, 1, 10); // once per ejection period, not once per request

        // Back to life: after its ejection it gets requests again.
        var revived = await Own(UpstreamServer.StartAsync("revived", deadPort));
        await Wait.UntilAsync(async () =>
        {
            await Client.GetAsync(new Uri(gateway.Listener(), "/hello"));
            return revived.Requests > 0;
        }, new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_upstream_reset_midway_aborts_the_clients_response_and_is_counted(bool chunked)
    {
        var upstream = await Own(UpstreamServer.StartAsync());
        var gateway = await GatewayAsync($"\"{upstream.Endpoint}\"");

        using var response = await Client.GetAsync(new Uri(gateway.Listener(), $"/reset-midway?chunked={chunked}"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // Not a short body that looks complete: reading to the end fails.
        await Assert.ThrowsAnyAsync<Exception>(() => response.Content.ReadAsByteArrayAsync());

        var metrics = await Client.GetStringAsync(new Uri(gateway.Admin, "/metrics"));
        Assert.True(Metrics.UpstreamErrors(metrics, "ResponseBodyDestination") >= 1, "the upstream's reset is counted");
        // The gateway goes on serving.
        Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(new Uri(gateway.Listener(), "/hello"))).StatusCode);
    }

    [Fact]
    public async Task An_upstream_that_closes_every_connection_fails_no_request()
    {
        var upstream = await Own(UpstreamServer.StartAsync("closing", closeEachConnection: true));
        var gateway = await GatewayAsync($"\"{upstream.Endpoint}\"");

        var loops = new LoadLoops(new IPEndPoint(IPAddress.Loopback, gateway.Listener().Port), loops: 4, maxRequestsPerLoop: 150);
        await loops.RunAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        output.WriteLine($"upstream closing each connection: {loops.Summary}");
        Assert.Empty(loops.Failures);
        Assert.Equal(600, loops.Succeeded);
    }

}
