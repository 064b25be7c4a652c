using Gateway.Lifecycle;
using Xunit;
using Xunit.Abstractions;
using Gateway.Tests.Simulation;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>A crash during the drain cannot hang it, and a repeated drain changes nothing.</summary>
public sealed class DrainRobustnessSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    [Fact]
    public async Task Connection_actor_crashing_mid_drain_counts_as_crashed_and_the_drain_still_completes()
    {
        var gateway = StartGateway([Listener("a")], Upstream("u"));
        var healthy = Accept(gateway, "a", "a1");
        var crashing = Accept(gateway, "a", "a2", throwOnRequestClose: true);
        var watcher = CreateTestProbe();
        var listener = watcher.Watch(await ResolveAsync("/user/gateway/listener-a"));
        var crashingActor = watcher.Watch(await ResolveAsync("/user/gateway/listener-a/conn-a2"));

        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);

        // No virtual time passes: the crash alone (DeathWatch) must let the listener and the gateway finish.
        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal("gateway", done.Path);
        Assert.Equal(DrainOutcome.Aborted, done.Outcome);
        Assert.Equal(new DrainCounts(Completed: 1, Forced: 0, Crashed: 1), done.Counts);

        await watcher.ExpectTerminatedAsync(crashingActor, Arrival);
        await watcher.ExpectTerminatedAsync(listener, Arrival);
        // ConnectionActor.PostStop must not leave the crashed actor's connection open.
        Assert.Single(crashing.AbortCalls);
        Assert.True(crashing.HasEnded);
        Assert.Empty(healthy.AbortCalls);
        Assert.Equal(1, Journal.Count("upstream u closed"));
    }

    [Fact]
    public async Task Drain_is_idempotent_one_DrainComplete_per_requester_and_one_RequestClose_per_connection()
    {
        var listener = Listener("a");
        var gateway = StartGateway([listener]);
        var conns = new[] { Accept(gateway, "a", "a1", inFlight: 1), Accept(gateway, "a", "a2", inFlight: 1) };
        var other = CreateTestProbe();

        var drain = GracefulDrain(TimeSpan.FromSeconds(30));
        gateway.Tell(drain, TestActor);
        gateway.Tell(drain, TestActor);
        gateway.Tell(drain, other.Ref);
        await Eventually(() => conns.All(c => c.RequestCloseCalls.Count >= 1), "every connection asked to close");
        await ExpectNothingAsync(); // let every copy of the drain reach the connections

        foreach (var c in conns) c.FinishRequest();

        Assert.Equal(new DrainCounts(2, 0, 0), (await ExpectMsgAsync<DrainComplete>(Arrival)).Counts);
        Assert.Equal(new DrainCounts(2, 0, 0), (await other.ExpectMsgAsync<DrainComplete>(Arrival)).Counts);
        await ExpectNothingAsync();
        await other.ExpectNoMsgAsync(Quiet);
        Assert.All(conns, c => Assert.Single(c.RequestCloseCalls));
        Assert.Equal(1, listener.StopAcceptingCalls);
    }
}
