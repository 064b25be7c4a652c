using Akka.Actor;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Gateway.Tests.Lifecycle;
using Xunit;
using Xunit.Abstractions;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Listeners;

/// <summary>
/// A listener's connection actors are spread over groups of a bounded size (Akka walks a parent's children each time
/// one stops), and the listener alone keeps their drain: the tree it describes and the counts it reports are whole.
/// </summary>
public sealed class ConnectionGroupSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    private const int Connections = 300;

    [Fact]
    public async Task Three_hundred_connections_sit_in_three_groups_of_at_most_a_group_each_and_all_drain_through_the_listener()
    {
        var gateway = StartGateway([Listener("a")], Upstream("u"));
        var connections = Enumerable.Range(1, Connections).Select(i => Accept(gateway, "a", "a" + i)).ToList();
        var listener = await ResolveAsync("/user/gateway/listener-a");
        await AwaitAssertAsync(async () =>
            Assert.Equal(Connections, (await listener.Ask<TreeProtocol.TreeNode>(TreeProtocol.GetTree.Instance, Arrival)).Children.Count),
            Arrival);

        var groups = await IdentifyAllAsync("/user/gateway/listener-a/*");
        Assert.Equal(Connections / ListenerActor.ConnectionsPerGroup + 1, groups.Count);
        var sizes = new List<int>();
        foreach (var group in groups) sizes.Add((await IdentifyAllAsync(group.Path + "/*")).Count);
        Assert.All(sizes, size => Assert.InRange(size, 1, ListenerActor.ConnectionsPerGroup));
        Assert.Equal(Connections, sizes.Sum());

        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);
        var done = await ExpectMsgAsync<DrainComplete>(Arrival);
        Assert.Equal(new DrainCounts(Completed: Connections, Forced: 0, Crashed: 0), done.Counts);
        Assert.All(connections, c => Assert.True(c.HasEnded));
    }

    /// <summary>Every live actor the wildcard path matches (each answers Identify; none answering is an empty list).</summary>
    private async Task<List<IActorRef>> IdentifyAllAsync(string path)
    {
        var probe = CreateTestProbe();
        Sys.ActorSelection(path).Tell(new Identify(path), probe.Ref);
        var found = new List<IActorRef>();
        while (await probe.ReceiveOneAsync(Quiet) is ActorIdentity { Subject: { } subject }) found.Add(subject);
        return found;
    }
}
