using Gateway.Lifecycle;
using Xunit;
using Xunit.Abstractions;
using Gateway.Tests.Simulation;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>The first two steps of a shutdown: announce (keep accepting), then stop accepting; late arrivals drain too.</summary>
public sealed class AnnounceAndUnbindSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    [Fact]
    public async Task Announce_tells_every_connection_to_go_away_and_keeps_accepting()
    {
        var a = Listener("a");
        var b = Listener("b");
        var gateway = StartGateway([a, b]);
        var early = new[] { Accept(gateway, "a", "a1", inFlight: 1), Accept(gateway, "b", "b1") };

        gateway.Tell(new Announce(DrainReason.Shutdown), TestActor);
        await Eventually(() => early.All(c => c.GoAwayCalls.Count == 1), "every connection told to go away");

        // Accepted after the announce: still served (not closed), but told to go away like the others.
        var late = Accept(gateway, "a", "a2");
        await Eventually(() => late.GoAwayCalls.Count == 1, "late connection told to go away");

        await ExpectNothingAsync();
        Assert.Equal(0, a.StopAcceptingCalls + b.StopAcceptingCalls);
        Assert.All(early.Append(late), c =>
        {
            Assert.Empty(c.RequestCloseCalls);
            Assert.Empty(c.AbortCalls);
            Assert.False(c.HasEnded);
        });
    }

    [Fact]
    public async Task StopAccepting_is_answered_only_after_every_listener_stopped_accepting()
    {
        var a = Listener("a", holdUnbind: true);
        var b = Listener("b", holdUnbind: true);
        var gateway = StartGateway([a, b]);
        var conn = Accept(gateway, "a", "a1");

        gateway.Tell(StopAccepting.Instance, TestActor);
        await Eventually(() => a.StopAcceptingCalls == 1 && b.StopAcceptingCalls == 1, "both listeners told to stop accepting");
        await ExpectNothingAsync();

        a.CompleteUnbind();
        await ExpectNothingAsync(); // listener b is still accepting

        b.CompleteUnbind();
        Assert.Equal(new AcceptingStopped("gateway"), await ExpectMsgAsync<AcceptingStopped>(Arrival));
        await ExpectNothingAsync();
        // Live connections keep being served: stopping accepting is not a drain.
        Assert.Empty(conn.RequestCloseCalls);
        Assert.False(conn.HasEnded);
    }

    [Fact]
    public async Task Connection_accepted_while_the_listener_drains_is_drained_too()
    {
        // The accept loop is still stopping (unbind held): Kestrel may hand over one more connection.
        var a = Listener("a", holdUnbind: true);
        var gateway = StartGateway([a]);
        var busy = Accept(gateway, "a", "a1", inFlight: 1);
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);
        await Eventually(() => busy.RequestCloseCalls.Count == 1, "first connection asked to close");

        var late = Accept(gateway, "a", "a2", inFlight: 1);
        await Eventually(() => late.RequestCloseCalls.Count == 1, "late connection asked to close");

        a.CompleteUnbind();
        busy.FinishRequest();
        await ExpectNothingAsync(); // the late connection still carries a request
        late.FinishRequest();

        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal(new DrainCounts(Completed: 2, Forced: 0, Crashed: 0), done.Counts);
        Assert.Empty(late.AbortCalls);
    }
}
