using Akka.Actor;
using Gateway.Lifecycle;
using Xunit;
using Xunit.Abstractions;
using Gateway.Tests.Simulation;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>The deadline turns waiting into force, on virtual time; a second drain may shorten it, never extend it.</summary>
public sealed class DrainDeadlineSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    private static readonly TimeSpan Epsilon = TimeSpan.FromMilliseconds(1);

    /// <summary>A gateway with one listener and one connection whose request never finishes.</summary>
    private async Task<(IActorRef Gateway, SimulatedConnection Stuck)> StuckConnectionAsync(Drain drain)
    {
        var gateway = StartGateway([Listener("a")]);
        var stuck = Accept(gateway, "a", "a1", inFlight: 1);
        gateway.Tell(drain, TestActor);
        // The connection starts its deadline timer just before it asks the connection to close.
        await Eventually(() => stuck.RequestCloseCalls.Count == 1, "connection asked to close");
        return (gateway, stuck);
    }

    private async Task ExpectForcedAsync(SimulatedConnection stuck, DateTimeOffset notBefore)
    {
        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal("gateway", done.Path);
        Assert.Equal(DrainOutcome.DeadlineExceeded, done.Outcome);
        Assert.Equal(new DrainCounts(Completed: 0, Forced: 1, Crashed: 0), done.Counts);
        var abort = Assert.Single(stuck.AbortCalls);
        Assert.True(abort.At >= notBefore, $"aborted at {abort.At:O}, not before {notBefore:O}");
    }

    [Fact]
    public async Task Connection_that_never_ends_is_aborted_at_the_deadline_and_counted_as_forced()
    {
        var deadline = TimeSpan.FromSeconds(30);
        var start = Clock.Now;
        var (_, stuck) = await StuckConnectionAsync(GracefulDrain(deadline));

        Clock.Advance(deadline - Epsilon);
        await ExpectNothingAsync();
        Assert.Empty(stuck.AbortCalls);

        Clock.Advance(2 * Epsilon);
        await ExpectForcedAsync(stuck, notBefore: start + deadline);
    }

    [Fact]
    public async Task Connection_carrying_streams_gets_their_goodbye_a_moment_before_the_deadline_then_is_forced_at_it()
    {
        var deadline = TimeSpan.FromSeconds(30);
        var start = Clock.Now;
        var gateway = StartGateway([Listener("a")]);
        var streaming = new SimulatedConnection("a1", Journal, inFlight: 1) { Streams = 1 };
        gateway.Tell(new GatewaySupervisor.ConnectionAccepted("a", streaming));
        gateway.Tell(GracefulDrain(deadline), TestActor);
        await Eventually(() => streaming.RequestCloseCalls.Count == 1, "connection asked to close");

        Clock.Advance(deadline - Gateway.Connections.ConnectionActor.StreamGoodbyeLead - Epsilon);
        await ExpectNothingAsync();
        Assert.Empty(streaming.EndStreamsCalls);

        Clock.Advance(2 * Epsilon);
        await Eventually(() => streaming.EndStreamsCalls.Count == 1, "streams told to end before the deadline");
        Assert.Empty(streaming.AbortCalls);

        Clock.Advance(Gateway.Connections.ConnectionActor.StreamGoodbyeLead);
        await ExpectForcedAsync(streaming, notBefore: start + deadline);
    }

    [Fact]
    public async Task Second_drain_with_an_earlier_deadline_forces_at_the_earlier_time()
    {
        var start = Clock.Now;
        var (gateway, stuck) = await StuckConnectionAsync(GracefulDrain(TimeSpan.FromSeconds(30)));
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(10)), TestActor);
        await ExpectNothingAsync(); // the second drain reaches the connection; no virtual time passes

        Clock.Advance(TimeSpan.FromSeconds(10) - Epsilon);
        await ExpectNothingAsync();
        Assert.Empty(stuck.AbortCalls);

        Clock.Advance(2 * Epsilon);
        await ExpectForcedAsync(stuck, notBefore: start + TimeSpan.FromSeconds(10));
        Assert.True(stuck.AbortCalls[0].At < start + TimeSpan.FromSeconds(30), "forced before the first deadline");
        Assert.Single(stuck.RequestCloseCalls);
    }

    [Fact]
    public async Task Second_drain_with_a_later_deadline_does_not_extend_the_first()
    {
        var start = Clock.Now;
        var (gateway, stuck) = await StuckConnectionAsync(GracefulDrain(TimeSpan.FromSeconds(10)));
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(60)), TestActor);
        await ExpectNothingAsync();

        Clock.Advance(TimeSpan.FromSeconds(10) + Epsilon);
        await ExpectForcedAsync(stuck, notBefore: start + TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Force_drain_aborts_at_once_without_waiting_for_the_deadline()
    {
        var (gateway, stuck) = await StuckConnectionAsync(GracefulDrain(TimeSpan.FromSeconds(30)));
        var forcedAt = Clock.Now;
        gateway.Tell(new Drain(DeadlineIn(TimeSpan.FromSeconds(30)), DrainReason.Shutdown, DrainMode.Force), TestActor);

        // A zero-delay timer still goes through the scheduler; Advance(Zero) runs what is due without moving time.
        await AwaitConditionAsync(() =>
        {
            Clock.Advance(TimeSpan.Zero);
            return Task.FromResult(stuck.AbortCalls.Count > 0);
        }, Arrival, TimeSpan.FromMilliseconds(20));

        await ExpectForcedAsync(stuck, notBefore: forcedAt);
        Assert.Equal(forcedAt, Clock.Now); // no virtual time passed: forced at once, not at the deadline
    }
}
