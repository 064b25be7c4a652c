using Akka.Actor;
using Gateway.Lifecycle;
using Xunit;
using Xunit.Abstractions;
using Gateway.Tests.Simulation;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>The tree stops bottom-up: connections, then their listener, then the upstreams, then the gateway.</summary>
public sealed class DrainOrderSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    [Fact]
    public async Task Drain_stops_connections_before_their_listener_listeners_before_upstreams_and_the_gateway_last()
    {
        var upstream = Upstream("u");
        var gateway = StartGateway([Listener("a"), Listener("b")], upstream);
        // Idle connections close on RequestClose; busy ones only when the test finishes their request.
        var conns = new Dictionary<string, SimulatedConnection>
        {
            ["a1"] = Accept(gateway, "a", "a1"),
            ["a2"] = Accept(gateway, "a", "a2", inFlight: 1),
            ["a3"] = Accept(gateway, "a", "a3"),
            ["b1"] = Accept(gateway, "b", "b1", inFlight: 1),
            ["b2"] = Accept(gateway, "b", "b2"),
        };
        var listenerOf = conns.Values.ToDictionary(c => c.Id, c => c.Id[..1]);

        var watcher = CreateTestProbe();
        var refs = new Dictionary<IActorRef, string>();
        async Task Watch(string path, string label) => refs[watcher.Watch(await ResolveAsync(path))] = label;
        await Watch("/user/gateway", "gateway");
        await Watch("/user/gateway/listener-a", "listener a");
        await Watch("/user/gateway/listener-b", "listener b");
        await Watch("/user/gateway/upstream-u", "upstream u");
        foreach (var c in conns.Values) await Watch($"/user/gateway/listener-{listenerOf[c.Id]}/conn-{c.Id}", "conn " + c.Id);
        var listenerRefs = refs.Where(r => r.Value.StartsWith("listener")).Select(r => r.Key).ToList();

        // Captured on the upstream actor's thread when its drain begins: are both listeners already gone?
        bool? listenersGoneWhenUpstreamBegan = null;
        // IsTerminated is obsolete for actor code (use DeathWatch), but only it reads the state at this very instant;
        // a watcher's Terminated may arrive after the upstream was told to drain.
#pragma warning disable CS0618
        upstream.OnDrainBegins = () => listenersGoneWhenUpstreamBegan = listenerRefs.All(r => ((IInternalActorRef)r).IsTerminated);
#pragma warning restore CS0618

        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);

        await Eventually(() => conns.Values.All(c => c.RequestCloseCalls.Count == 1), "every connection asked to close");
        // Two requests are still in flight: nothing may complete, and the upstream must not start draining.
        await ExpectNothingAsync();
        Assert.Equal(0, Journal.Count("upstream u drain-begins"));

        conns["a2"].FinishRequest();
        conns["b1"].FinishRequest();

        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal("gateway", done.Path);
        Assert.Equal(DrainOutcome.Completed, done.Outcome);
        Assert.Equal(new DrainCounts(Completed: 5, Forced: 0, Crashed: 0), done.Counts);

        var order = new List<string>();
        for (var i = 0; i < refs.Count; i++) order.Add(refs[(await watcher.ExpectMsgAsync<Terminated>(Arrival)).ActorRef]);
        Output.WriteLine("termination order: " + string.Join(", ", order));
        Output.WriteLine(Journal.ToString());

        foreach (var c in conns.Values)
            Assert.True(order.IndexOf("conn " + c.Id) < order.IndexOf("listener " + listenerOf[c.Id]), $"conn {c.Id} before its listener");
        Assert.True(Math.Max(order.IndexOf("listener a"), order.IndexOf("listener b")) < order.IndexOf("upstream u"), "listeners before upstream");
        Assert.Equal("gateway", order[^1]);

        // The upstream drain began only after every connection had closed and both listeners had stopped.
        Assert.True(listenersGoneWhenUpstreamBegan, "both listeners terminated when the upstream's drain began");
        var upstreamBegins = Journal.First("upstream u drain-begins").Seq;
        Assert.All(conns.Values, c => Assert.True(Journal.Entries.Single(e => e.Event.StartsWith($"conn {c.Id} closed")).Seq < upstreamBegins));
        Assert.True(upstreamBegins < Journal.First("upstream u closed").Seq);

        // Exactly one answer for the requester.
        await ExpectNothingAsync();
    }
}
