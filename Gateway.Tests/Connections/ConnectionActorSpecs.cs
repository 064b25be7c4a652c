using Akka.Actor;
using Gateway.Lifecycle;
using Gateway.Tests.Lifecycle;
using Gateway.Tests.Simulation;
using Xunit;
using Xunit.Abstractions;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Connections;

/// <summary>
/// A connection actor learns of its connection's end however the end and its start race, and a timer of its drain
/// that was cancelled after it had fired changes nothing (virtual time).
/// </summary>
public sealed class ConnectionActorSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    [Fact]
    public async Task A_connection_that_ended_before_its_actor_started_is_reported_ended_not_left_to_the_deadline()
    {
        var listener = Listener("a");
        var gateway = StartGateway([listener]);
        // The announce makes the listener count every connection's end from now on, the drain's counts included.
        gateway.Tell(new Announce(DrainReason.Shutdown), TestActor);
        await Eventually(() => listener.GoingAway, "the listener announces");

        var early = new SimulatedConnection("early", Journal);
        early.RequestClose(); // the client went away before the connection reached the actor tree
        Assert.True(early.HasEnded);
        listener.Registered(); // as Kestrel's middleware does: the listener's drain waits for its actor to start
        gateway.Tell(GatewayTree.ConnectionAccepted("a", early));
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);

        // No virtual time passes: only the end, told to the actor as it registered, lets the drain finish.
        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal(new DrainCounts(Completed: 1, Forced: 0, Crashed: 0), done.Counts);
        Assert.Empty(early.AbortCalls);
    }

    [Fact]
    public async Task A_quiet_period_timer_that_fired_as_a_second_drain_cancelled_it_does_not_close_again()
    {
        using var hold = new SemaphoreSlim(0);
        var gateway = StartGateway([Listener("a")]);
        var connection = new SimulatedConnection("a1", Journal) { IdleFor = TimeSpan.FromMilliseconds(100), HoldGoAway = hold };
        gateway.Tell(GatewayTree.ConnectionAccepted("a", connection));
        var actor = await ResolveAsync("/user/gateway/listener-a/conn-a1");
        var watcher = CreateTestProbe();
        watcher.Watch(actor);
        var quiet = new IdleClosePolicy(TimeSpan.FromMilliseconds(250), TimeSpan.Zero);

        // The first drain waits out the quiet period (150 ms left); then the actor is kept busy by the announce.
        actor.Tell(GracefulDrain(TimeSpan.FromSeconds(30)) with { IdleClose = quiet });
        actor.Tell(new Announce(DrainReason.Shutdown));
        await Eventually(() => connection.GoAwayCalls.Count == 1, "the actor is inside the announce");
        Assert.Empty(connection.RequestCloseCalls);

        // A second drain (a hurry: it cancels the quiet period and closes) queues up behind the timer's message.
        actor.Tell(GracefulDrain(TimeSpan.FromSeconds(10)) with { IdleClose = quiet });
        Clock.Advance(TimeSpan.FromMilliseconds(200));
        hold.Release();

        // The actor stops on the end, which the close queued behind the timer's message: by then it has seen both.
        await watcher.ExpectTerminatedAsync(actor, Arrival);
        Assert.True(connection.HasEnded);
        Assert.Single(connection.RequestCloseCalls);
    }
}
