using System.Net;
using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// A reload that changes an upstream gives it new endpoints (new pools, new settings), but an endpoint the new config
/// keeps counts on where it was: its requests and failures in <c>GET /upstreams</c> and in the metrics never go back.
/// </summary>
public sealed class EndpointCountersReloadTests(ITestOutputHelper output) : UpstreamTestBase
{
    [Fact]
    public async Task Requests_and_failures_of_an_endpoint_survive_a_reload_that_keeps_it()
    {
        var live = await Own(UpstreamServer.StartAsync("live"));
        var removed = await Own(UpstreamServer.StartAsync("removed"));
        var dead = $"127.0.0.1:{FreePort()}";
        string Config(string endpoints, string budget) => $$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = [{{endpoints}}], eject-for = 0s, retry-budget = {{budget}}, connect-timeout = 2s }
              routes.app { listener = public, path-prefix = "/", upstream = app }
            }
            """;
        var gateway = await Own(InProcessGateway.StartAsync(Config($"\"{live.Endpoint}\", \"{removed.Endpoint}\", \"{dead}\"", "100%")));
        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++)
                Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(new Uri(gateway.Listener(), "/hello"))).StatusCode);
        }
        async Task<(long Requests, long Failures, double Metric)> CountsAsync(string endpoint)
        {
            var view = (await EndpointView.OfAsync(Client, gateway.Admin))[endpoint];
            var metric = Metrics.Sum(await Client.GetStringAsync(new Uri(gateway.Admin, "/metrics")), "gateway_upstream_endpoint_requests_total", $"endpoint=\"{endpoint}\"");
            return (view.Requests, view.Failures, metric);
        }

        await SendAsync(12);
        var (liveBefore, deadBefore) = (await CountsAsync(live.Endpoint), await CountsAsync(dead));
        Assert.True(liveBefore.Requests >= 4 && deadBefore.Failures >= 4, $"round-robin reached every endpoint: {liveBefore}, {deadBefore}");

        // One endpoint fewer and another budget: a new upstream, whose endpoints are made anew.
        var before = gateway.Gateway.Runtime.Upstreams.Single();
        var reloader = gateway.Gateway.App.Services.GetRequiredService<GatewayReloader>();
        var next = GatewayConfigLoader.Parse(Config($"\"{live.Endpoint}\", \"{dead}\"", "50%"), "test.conf");
        var report = await reloader.ApplyAsync(next with { Listeners = [.. next.Listeners.Select(l => l with { Address = gateway.Gateway.Runtime.Listeners.All.Single(b => b.Name == l.Name).Address })] });
        Assert.Equal(["app"], report.ChangedUpstreams);
        Assert.NotSame(before, gateway.Gateway.Runtime.Upstreams.Single());

        var (liveAfter, deadAfter) = (await CountsAsync(live.Endpoint), await CountsAsync(dead));
        Assert.Equal(liveBefore, liveAfter);
        Assert.Equal(deadBefore, deadAfter);
        await SendAsync(6);
        var (liveLater, deadLater) = (await CountsAsync(live.Endpoint), await CountsAsync(dead));
        output.WriteLine($"live {liveBefore} → reload → {liveAfter} → 6 more requests → {liveLater}; dead {deadBefore} → {deadAfter} → {deadLater}");
        Assert.True(liveLater.Requests > liveAfter.Requests && deadLater.Failures > deadAfter.Failures);
        Assert.Equal(liveLater.Requests, liveLater.Metric);
    }
}
