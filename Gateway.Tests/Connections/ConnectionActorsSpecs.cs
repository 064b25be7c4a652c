using Akka.Actor;
using Gateway.Listeners;
using Gateway.Tests.Lifecycle;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Connections;

/// <summary>The connection actors of one listener, in all its groups, are made from one Props: none is kept per connection.</summary>
public sealed class ConnectionActorsSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    [Fact]
    public async Task Every_connection_actor_of_a_listener_shares_its_listeners_one_Props()
    {
        var gateway = StartGateway([Listener("a"), Listener("b")]);
        const int many = ListenerActor.ConnectionsPerGroup + 2; // two groups
        for (var i = 0; i < many; i++) Accept(gateway, "a", "a" + i);
        for (var i = 0; i < 2; i++) Accept(gateway, "b", "b" + i);

        var a = await ConnectionActorsAsync("a", many);
        var b = await ConnectionActorsAsync("b", 2);

        Assert.Equal(2, a.Select(r => r.Path.Parent).Distinct().Count());
        var propsOfA = Assert.Single(a.Select(PropsOf).Distinct(ReferenceEqualityComparer.Instance));
        var propsOfB = Assert.Single(b.Select(PropsOf).Distinct(ReferenceEqualityComparer.Instance));
        Assert.NotSame(propsOfA, propsOfB); // each reports to its own listener
    }

    private static Props PropsOf(IActorRef actor) => ((ActorRefWithCell)actor).Underlying.Props;

    /// <summary>The listener's connection actors, once all <paramref name="count"/> have started.</summary>
    private async Task<List<IActorRef>> ConnectionActorsAsync(string listener, int count)
    {
        var probe = CreateTestProbe();
        var found = new List<IActorRef>();
        await AwaitAssertAsync(async () =>
        {
            found.Clear();
            Sys.ActorSelection($"/user/gateway/listener-{listener}/*/*").Tell(new Identify(null), probe.Ref);
            while (await probe.ReceiveOneAsync(Quiet) is ActorIdentity { Subject: { } subject }) found.Add(subject);
            Assert.Equal(count, found.Count);
        }, Arrival);
        return found;
    }
}
