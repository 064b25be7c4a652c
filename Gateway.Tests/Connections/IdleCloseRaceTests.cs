using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Connections;

/// <summary>
/// Idle keep-alive connections closed by a drain while their clients send: every request gets its response or finds
/// the connection already closed (safe to retry) — never a reset after it was sent.
/// </summary>
public sealed class IdleCloseRaceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Requests_sent_around_the_unbind_on_idle_connections_are_served_or_find_them_closed()
    {
        await using var gateway = GatewayProcess.StartWithConfig(_upstream.GatewayConfig("announce = 0s, deadline = 10s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        // The drain closes idle connections some tens of milliseconds after the signal: one request per millisecond
        // for 400 ms covers that moment densely.
        var offsets = IdleRaceSweep.DenseOffsets(TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1));
        var sweep = await IdleRaceSweep.OpenAsync(endpoint, "/idle", offsets, perOffset: 1, timeout.Token);

        var moment = DateTime.UtcNow + TimeSpan.FromMilliseconds(200);
        var running = sweep.RunAsync(moment, "/idle", timeout.Token);
        await Task.Delay(moment - DateTime.UtcNow, timeout.Token);
        gateway.Signal(GatewayProcess.SigTerm);
        await running;
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));

        output.WriteLine($"idle-close race sweep (one connection per ms, 0–400 ms from SIGTERM): {sweep}");
        Assert.Equal(0, sweep.Count(IdleRequestOutcome.Reset));
        Assert.Equal(0, sweep.Count(IdleRequestOutcome.Truncated));
        Assert.Equal(offsets.Length, sweep.Results.Count);
    }
}
