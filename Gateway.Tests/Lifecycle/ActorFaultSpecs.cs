using Akka.Actor;
using Gateway.Lifecycle;
using Gateway.Tests.Simulation;
using Xunit;
using Xunit.Abstractions;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>
/// A fault outside a drain stays where it happened: a failing connection actor takes only its own connection down,
/// a failing listener actor keeps its connections, and the drain that follows still completes.
/// </summary>
public sealed class ActorFaultSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    [Fact]
    public async Task A_fault_in_one_connection_actor_closes_only_its_connection_and_the_listener_serves_and_drains_on()
    {
        var gateway = StartGateway([Listener("a")], Upstream("u"));
        var busy = Accept(gateway, "a", "a1", inFlight: 1);
        var idle = Accept(gateway, "a", "a2");
        var failing = Accept(gateway, "a", "a3", inFlight: 1);
        var faulty = new SimulatedConnection("a4", Journal, inFlight: 1) { ThrowOnGoAway = true };
        gateway.Tell(new GatewaySupervisor.ConnectionAccepted("a", faulty));
        var watcher = CreateTestProbe();
        var listener = watcher.Watch(await ResolveAsync("/user/gateway/listener-a"));
        var faultyActor = watcher.Watch(await ResolveAsync("/user/gateway/listener-a/conn-a4"));

        // The fault: only this actor gets the message that makes its port throw.
        faultyActor.Tell(new Announce(DrainReason.Shutdown));

        await watcher.ExpectTerminatedAsync(faultyActor, Arrival);
        Assert.Single(faulty.AbortCalls);
        await ExpectNothingAsync();
        Assert.All(new[] { busy, idle, failing }, x => Assert.Empty(x.AbortCalls));
        Assert.All(new[] { busy, idle, failing }, x => Assert.Empty(x.GoAwayCalls));
        // The listener lives on and takes a new connection.
        var late = Accept(gateway, "a", "a5");
        await ResolveAsync("/user/gateway/listener-a/conn-a5");

        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);
        await Eventually(() => busy.RequestCloseCalls.Count == 1 && failing.RequestCloseCalls.Count == 1, "in-flight connections asked to close");
        busy.FinishRequest();
        failing.FinishRequest();

        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal(new DrainCounts(Completed: 4, Forced: 0, Crashed: 0), done.Counts);
        Assert.All(new[] { busy, idle, failing, late }, x => Assert.Empty(x.AbortCalls));
        await watcher.ExpectTerminatedAsync(listener, Arrival);
    }

    [Fact]
    public async Task A_fault_in_a_listener_actor_keeps_its_live_connections_and_the_drain_still_completes()
    {
        var port = new SimulatedListener("a", Journal) { ThrowOnGoAway = true };
        var gateway = StartGateway([port], Upstream("u"));
        var connections = new[] { Accept(gateway, "a", "a1", inFlight: 1), Accept(gateway, "a", "a2"), Accept(gateway, "a", "a3", inFlight: 2) };
        var watcher = CreateTestProbe();
        var listener = watcher.Watch(await ResolveAsync("/user/gateway/listener-a"));
        var children = new List<IActorRef>();
        foreach (var id in new[] { "a1", "a2", "a3" })
            children.Add(watcher.Watch(await ResolveAsync($"/user/gateway/listener-a/conn-{id}")));

        // The fault: the listener actor's port throws while it handles a message.
        listener.Tell(new Announce(DrainReason.Shutdown));

        await watcher.ExpectNoMsgAsync(Quiet); // neither the listener nor a connection actor stopped
        foreach (var child in children)
            Assert.Same(child, await ResolveAsync(child.Path.ToStringWithoutAddress()));
        Assert.All(connections, x => Assert.Empty(x.AbortCalls));
        var late = Accept(gateway, "a", "a4");
        await ResolveAsync("/user/gateway/listener-a/conn-a4");

        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);
        await Eventually(() => connections[0].RequestCloseCalls.Count == 1 && connections[2].RequestCloseCalls.Count == 1, "in-flight connections asked to close");
        connections[0].FinishRequest();
        connections[2].FinishRequest();
        connections[2].FinishRequest();

        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal(new DrainCounts(Completed: 4, Forced: 0, Crashed: 0), done.Counts);
        Assert.All(connections.Append(late), x => Assert.Empty(x.AbortCalls));
        Assert.Equal(1, port.StopAcceptingCalls);
    }
}
