using System.Diagnostics;
using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Host;

/// <summary>The built Gateway.Host as a real process with a real upstream, stopped by real signals.</summary>
public sealed class SigtermDrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Config(string drain) => _upstream.GatewayConfig(drain);

    [Fact]
    public async Task Sigterm_finishes_every_accepted_request_closes_the_rest_gracefully_and_exits_0_at_once()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config("announce = 0s, deadline = 25s"));
        var addresses = await gateway.WaitUntilReadyAsync();
        var endpoint = addresses["public"];
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}"), Timeout = TimeSpan.FromSeconds(10) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var idle = new List<RawHttp1Connection>();
        for (var i = 0; i < 20; i++)
        {
            var connection = await RawHttp1Connection.OpenAsync(endpoint);
            Assert.Equal("idle", (await connection.GetAsync("/idle", timeout.Token)).Body);
            idle.Add(connection);
        }
        using var http2 = await RawHttp2Connection.OpenAsync(endpoint, timeout.Token);
        var clients = Enumerable.Range(0, 10).Select(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(60) }).ToList();
        var lastResponse = DateTime.MinValue;
        var inFlight = clients.Select(async c =>
        {
            var response = await c.GetAsync($"http://{endpoint}/slow?ms=1500", timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            lock (clients) lastResponse = DateTime.UtcNow > lastResponse ? DateTime.UtcNow : lastResponse;
            return (response, body);
        }).ToList();
        await Wait.UntilAsync(async () => (await admin.GetStringAsync("/drain", timeout.Token)).Contains("\"inFlight\":10"), timeout.Token);

        var signalledAt = DateTime.UtcNow;
        gateway.Signal(GatewayProcess.SigTerm);

        // The signal is delivered asynchronously; from its handler on, readiness says 503.
        await Wait.UntilAsync(async () =>
        {
            using var ready = await admin.GetAsync("/ready", timeout.Token);
            return ready.StatusCode == HttpStatusCode.ServiceUnavailable;
        }, timeout.Token);
        Assert.Equal(0, await http2.WaitForGoAwayAsync(timeout.Token));
        foreach (var connection in idle)
            Assert.Equal(PeerClose.Fin, await connection.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await Raw.IsRefusedAsync(endpoint), "a new connection after the unbind must be refused");

        foreach (var (response, body) in await Task.WhenAll(inFlight))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.ConnectionClose, "an in-flight response carries Connection: close");
            Assert.Equal("slow 1500ms from upstream", body);
        }
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var exitedAfterLastResponse = await gateway.Exited - lastResponse;
        output.WriteLine($"SIGTERM → last response {(lastResponse - signalledAt).TotalMilliseconds:0} ms, → exit {(await gateway.Exited - signalledAt).TotalMilliseconds:0} ms; exit − last response = {exitedAfterLastResponse.TotalMilliseconds:0} ms");
        Assert.True(exitedAfterLastResponse < TimeSpan.FromSeconds(1),
            $"exited {exitedAfterLastResponse.TotalMilliseconds:0}ms after the last response; expected under 1s\n{gateway.OutputText}");
        Assert.Contains("Drain finished: Completed (completed=31 forced=0 crashed=0)", gateway.OutputText);
        idle.ForEach(c => c.Dispose());
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task With_an_announce_window_http2_gets_goaway_at_once_and_new_connections_are_served_once_then_refused_after_the_unbind()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config("announce = 2s, deadline = 10s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http2 = await RawHttp2Connection.OpenAsync(endpoint, timeout.Token);

        gateway.Signal(GatewayProcess.SigTerm);
        await gateway.WaitForLineAsync("Drain started: readiness is 503", TimeSpan.FromSeconds(10));
        var signalled = Stopwatch.StartNew();

        // HTTP/2 is told at the start of the announce window, before the listeners stop accepting.
        Assert.Equal(0, await http2.WaitForGoAwayAsync(timeout.Token));
        Assert.DoesNotContain("listeners accept no new connections", gateway.OutputText);
        using (var early = await RawHttp1Connection.OpenAsync(endpoint))
        {
            var (head, body) = await early.GetAsync("/idle", timeout.Token);
            Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(1.5), "served inside the announce window");
            Assert.Equal("idle", body);
            Assert.Contains("Connection: close", head);
            Assert.Equal(PeerClose.Fin, await early.WaitForCloseAsync(TimeSpan.FromSeconds(5)));
        }
        await gateway.WaitForLineAsync("listeners accept no new connections", TimeSpan.FromSeconds(10));
        Assert.True(await Raw.IsRefusedAsync(endpoint));
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(15)));
    }

    [Fact]
    public async Task A_request_that_never_ends_is_forced_at_the_deadline_and_the_log_names_its_connection()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config("announce = 0s, deadline = 3s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var hanging = client.GetAsync($"http://{endpoint}/slow?ms=600000");
        await Wait.UntilAsync(() => Task.FromResult(_upstream.Requests >= 1), CancellationToken.None);

        var signalled = Stopwatch.StartNew();
        gateway.Signal(GatewayProcess.SigTerm);
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));

        output.WriteLine($"SIGTERM → exit with a hanging request and deadline 3s: {signalled.Elapsed.TotalMilliseconds:0} ms");
        // Not before the deadline; at it rather than at the request's end (10 minutes) — the margin is for a busy machine.
        Assert.InRange(signalled.Elapsed, TimeSpan.FromSeconds(2.9), TimeSpan.FromSeconds(6));
        await gateway.WaitForLineAsync(@"forcing connection \S+ from 127\.0\.0\.1:\d+ on listener public with 1 request", TimeSpan.FromSeconds(1));
        await gateway.WaitForLineAsync(@"Drain finished: DeadlineExceeded \(completed=0 forced=1", TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => hanging);
    }

    [Fact]
    public async Task A_second_signal_forces_the_drain_at_once()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config("announce = 0s, deadline = 60s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(90) };
        var hanging = client.GetAsync($"http://{endpoint}/slow?ms=600000");
        await Wait.UntilAsync(() => Task.FromResult(_upstream.Requests >= 1), CancellationToken.None);

        gateway.Signal(GatewayProcess.SigTerm);
        await gateway.WaitForLineAsync("Drain started", TimeSpan.FromSeconds(10));
        var second = Stopwatch.StartNew();
        gateway.Signal(GatewayProcess.SigInt);

        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        output.WriteLine($"second signal → exit: {second.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(second.Elapsed < TimeSpan.FromSeconds(5), $"exit took {second.Elapsed.TotalSeconds:0.0}s after the second signal");
        Assert.Contains("received again: forcing the drain now", gateway.OutputText);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => hanging);
    }
}
