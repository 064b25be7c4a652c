using Xunit;
using Xunit.Abstractions;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>A connection handed over while its listener finishes its drain must not be left unowned.</summary>
public sealed class LateConnectionSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    // Product bug, reproduced 3 of 3 runs: ListenerActor stops itself in Complete() while the gateway still forwards
    // ConnectionOpened to it (the gateway only learns of the stop from Terminated), so the connection goes to dead
    // letters and is never drained nor aborted. Remove Skip once fixed.
    [Fact(Skip = "product bug: ConnectionOpened dead-lettered after the listener completed its drain (see comment)")]
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
        await Eventually(() => last.Closed.IsCompleted, "last connection closed");
    }
}
