using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Host;

/// <summary>
/// Clients that keep opening new connections while the gateway stops: each is served or refused, never reset after
/// its request was sent — including those still in the kernel's accept queue when the listener closes.
/// </summary>
public sealed class AcceptQueueDrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task New_connections_arriving_through_the_unbind_are_served_or_refused_never_reset()
    {
        await using var gateway = GatewayProcess.StartWithConfig(_upstream.GatewayConfig("announce = 0s, deadline = 20s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        var storm = new ConnectionStorm(endpoint, "/idle", loops: 8, maxAttemptsPerLoop: 5000);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var running = storm.RunAsync(stop.Token);

        await Wait.UntilAsync(() => Task.FromResult(storm[StormOutcome.Served] >= 200), stop.Token);
        gateway.Signal(GatewayProcess.SigTerm);
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await Wait.UntilAsync(() => Task.FromResult(storm[StormOutcome.Refused] >= 50), stop.Token);
        stop.Cancel();
        await running;

        output.WriteLine($"connection storm across SIGTERM: {storm}");
        Assert.Equal(0, storm[StormOutcome.Reset]);
        Assert.Equal(0, storm[StormOutcome.ClosedUnanswered]);
        Assert.Equal(0, storm[StormOutcome.TimedOut]);
    }
}
