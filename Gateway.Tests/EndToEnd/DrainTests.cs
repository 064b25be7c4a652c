using System.Diagnostics;
using System.Net;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.EndToEnd;

/// <summary>The drain through real sockets, with the gateway in process and stopped by its host (as SIGTERM does).</summary>
public sealed class DrainTests : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Config(string drain) => _upstream.GatewayConfig(drain);

    [Fact]
    public async Task Stop_finishes_in_flight_requests_closes_idle_ones_and_refuses_new_connections()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config("announce = 0s, deadline = 20s"));
        var endpoint = gateway.Gateway.Runtime.Listeners.All[0].Address;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var idle = new List<RawHttp1Connection>();
        for (var i = 0; i < 5; i++)
        {
            var connection = await RawHttp1Connection.OpenAsync(endpoint);
            Assert.Equal("idle", (await connection.GetAsync("/idle", timeout.Token)).Body);
            idle.Add(connection);
        }
        using var http2 = await RawHttp2Connection.OpenAsync(endpoint, timeout.Token);
        var clients = Enumerable.Range(0, 3).Select(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(30) }).ToList();
        var inFlight = clients.Select(c => c.GetAsync(new Uri(gateway.Listener(), "/slow?ms=1500"), timeout.Token)).ToList();
        await Wait.UntilAsync(() => gateway.Gateway.Runtime.Listeners.All[0].Counters.InFlightRequests == 3, timeout.Token);

        var stopped = gateway.StopAsync();

        var goAway = await http2.WaitForGoAwayAsync(timeout.Token);
        Assert.Equal(0, goAway); // NO_ERROR
        foreach (var connection in idle)
            Assert.Equal(PeerClose.Fin, await connection.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        await Wait.UntilAsync(() => !gateway.Gateway.Runtime.Listeners.All[0].Accepting, timeout.Token);
        Assert.True(await Raw.IsRefusedAsync(endpoint));

        foreach (var response in await Task.WhenAll(inFlight))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.ConnectionClose);
            Assert.Equal("slow 1500ms from upstream", await response.Content.ReadAsStringAsync(timeout.Token));
        }
        await stopped;
        Assert.Equal("Completed", gateway.Gateway.Runtime.State.Result?.Outcome.ToString());
        Assert.Equal(9, gateway.Gateway.Runtime.State.Result?.Counts.Completed); // 5 idle + 1 h2 + 3 in flight
        idle.ForEach(c => c.Dispose());
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task During_the_announce_window_http2_gets_goaway_and_new_connections_are_served_once_then_closed()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config("announce = 2s, deadline = 10s"));
        var endpoint = gateway.Gateway.Runtime.Listeners.All[0].Address;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http2 = await RawHttp2Connection.OpenAsync(endpoint, timeout.Token);

        var stopwatch = Stopwatch.StartNew();
        var stopped = gateway.StopAsync();
        await Wait.UntilAsync(() => !gateway.Gateway.Runtime.State.Ready, timeout.Token);
        Assert.Equal(0, await http2.WaitForGoAwayAsync(timeout.Token));
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), "HTTP/2 must get GOAWAY at the start of the announce window");

        using var late = await RawHttp1Connection.OpenAsync(endpoint);
        var (head, body) = await late.GetAsync("/idle", timeout.Token);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(2), "the request must be served inside the announce window");
        Assert.Equal("idle", body);
        Assert.Contains("Connection: close", head);
        Assert.Equal(PeerClose.Fin, await late.WaitForCloseAsync(TimeSpan.FromSeconds(5)));

        await stopped;
        Assert.True(await Raw.IsRefusedAsync(endpoint));
    }

    [Fact]
    public async Task At_the_deadline_a_request_that_never_ends_is_forced()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config("announce = 0s, deadline = 1s"));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var hanging = client.GetAsync(new Uri(gateway.Listener(), "/slow?ms=600000"));
        await Wait.UntilAsync(() => gateway.Gateway.Runtime.Listeners.All[0].Counters.InFlightRequests == 1, CancellationToken.None);

        var stopwatch = Stopwatch.StartNew();
        await gateway.StopAsync();

        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(10));
        Assert.Equal("DeadlineExceeded", gateway.Gateway.Runtime.State.Result?.Outcome.ToString());
        Assert.Equal(1, gateway.Gateway.Runtime.State.Result?.Counts.Forced);
        await Assert.ThrowsAsync<HttpRequestException>(() => hanging);
    }
}
