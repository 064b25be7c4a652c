using Xunit;
using Xunit.Abstractions;
using Gateway.Tests.Simulation;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>A connection handed over while its listener finishes its drain must not be left unowned.</summary>
public sealed class LateConnectionSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    // A listener that stopped itself on completion let ConnectionOpened messages already on their way fall into dead
    // letters (3 of 3 runs): the connection was never drained nor aborted. Now the parent stops a drained listener.
    [Fact]
    public async Task Connection_accepted_as_the_listener_finishes_draining_is_closed_not_leaked()
    {
        var a = Listener("a", holdUnbind: true);
        var gateway = StartGateway([a]);
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);
        await Eventually(() => a.StopAcceptingCalls == 1, "listener told to stop accepting");

        // Kestrel accepted one last connection just as the accept loop stopped.
        a.CompleteUnbind();
        var last = Accept(gateway, "a", "a-last");

        await ExpectMsgAsync<DrainComplete>(Arrival);
        // Either drained (RequestClose) or refused (Abort): an open connection nobody owns is a leak.
        await Eventually(() => last.HasEnded, "last connection closed");
    }

    // Kestrel registers a connection (towards the supervisor) before the unbind completes; the supervisor forwards it
    // later. Without waiting for it the listener reported drained and the connection arrived to be aborted.
    [Fact]
    public async Task Listener_waits_for_a_connection_registered_before_its_unbind_completed()
    {
        var a = Listener("a", holdUnbind: true);
        var gateway = StartGateway([a]);
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);
        await Eventually(() => a.StopAcceptingCalls == 1, "listener told to stop accepting");

        a.Registered();
        a.CompleteUnbind();
        await ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300));

        var late = Accept(gateway, "a", "a-late", inFlight: 1);
        await Eventually(() => Journal.Count("conn a-late request-close") > 0, "late connection told to close");
        late.FinishRequest();
        var complete = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal(1, complete.Counts.Completed);
        Assert.Equal(0, complete.Counts.Forced);
    }
}
