using Akka.Actor;
using Gateway.Lifecycle;
using Gateway.Tests.Simulation;
using Xunit;
using Xunit.Abstractions;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>
/// A drain does not close an idle keep-alive connection under a client that just used it, and spreads the closes of
/// idle connections over a window (virtual time).
/// </summary>
public sealed class IdleCloseSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    private SimulatedConnection Idle(IActorRef gateway, string id, TimeSpan idleFor)
    {
        var connection = new SimulatedConnection(id, Journal, inFlight: 0) { IdleFor = idleFor };
        gateway.Tell(new GatewaySupervisor.ConnectionAccepted("a", connection));
        return connection;
    }

    [Fact]
    public async Task A_connection_used_a_moment_ago_is_closed_only_once_it_has_been_quiet_for_the_quiet_period()
    {
        var gateway = StartGateway([Listener("a")]);
        var recent = Idle(gateway, "recent", TimeSpan.FromMilliseconds(100));
        var old = Idle(gateway, "old", TimeSpan.FromSeconds(10));
        var start = Clock.Now;
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)) with { IdleClose = new IdleClosePolicy(TimeSpan.FromMilliseconds(250), TimeSpan.Zero) }, TestActor);

        await Eventually(() => old.RequestCloseCalls.Count == 1, "the long-idle connection closed at once");
        Clock.Advance(TimeSpan.FromMilliseconds(149));
        await ExpectNothingAsync();
        Assert.Empty(recent.RequestCloseCalls);

        Clock.Advance(TimeSpan.FromMilliseconds(2));
        await Eventually(() => recent.RequestCloseCalls.Count == 1, "the recently used connection closed after its quiet period");
        Assert.True(recent.RequestCloseCalls[0].At >= start + TimeSpan.FromMilliseconds(150));
        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal(new DrainCounts(Completed: 2, Forced: 0, Crashed: 0), done.Counts);
    }

    [Fact]
    public async Task Idle_connections_are_closed_at_moments_spread_over_the_window_all_within_it()
    {
        var gateway = StartGateway([Listener("a")]);
        var connections = Enumerable.Range(0, 20).Select(i => Idle(gateway, $"c{i}", TimeSpan.FromHours(1))).ToList();
        var spread = TimeSpan.FromSeconds(2);
        var start = Clock.Now;
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)) with { IdleClose = new IdleClosePolicy(TimeSpan.Zero, spread) }, TestActor);

        await ExpectNothingAsync(); // the drain reaches every connection; no virtual time passes
        for (var step = 0; step < 20; step++)
        {
            Clock.Advance(spread / 20);
            await Task.Delay(20);
        }
        await Eventually(() => connections.All(c => c.RequestCloseCalls.Count == 1), "every idle connection closed within the spread");
        var moments = connections.Select(c => c.RequestCloseCalls[0].At - start).ToList();
        Assert.All(moments, m => Assert.InRange(m, TimeSpan.Zero, spread));
        Assert.True(moments.Distinct().Count() > 5, $"closes not spread: {string.Join(", ", moments.Select(m => m.TotalMilliseconds))}");
        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal(20, done.Counts.Completed);
    }

    [Fact]
    public async Task The_spread_of_an_idle_close_is_drawn_from_the_injected_random_source_so_a_seed_fixes_its_moment()
    {
        const int seed = 11;
        var spread = TimeSpan.FromSeconds(2);
        var expected = spread * new Random(seed).NextDouble();
        var gateway = StartGateway([Listener("a")], new Random(seed));
        var idle = Idle(gateway, "idle", TimeSpan.FromHours(1));
        var start = Clock.Now;
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)) with { IdleClose = new IdleClosePolicy(TimeSpan.Zero, spread) }, TestActor);

        await ExpectNothingAsync(); // the drain reaches the connection; no virtual time passes
        Clock.Advance(expected - TimeSpan.FromMilliseconds(5));
        await ExpectNothingAsync();
        Assert.Empty(idle.RequestCloseCalls);

        Clock.Advance(TimeSpan.FromMilliseconds(10));
        await Eventually(() => idle.RequestCloseCalls.Count == 1, "the idle connection closed at the moment its seed gives");
        Assert.InRange(idle.RequestCloseCalls[0].At - start, expected - TimeSpan.FromMilliseconds(5), expected + TimeSpan.FromMilliseconds(5));
        Assert.Equal(1, (await ExpectMsgAsync<DrainComplete>(Arrival)).Counts.Completed);
    }
}
