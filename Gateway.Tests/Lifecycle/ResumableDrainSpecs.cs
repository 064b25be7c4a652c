using Akka.Actor;
using Gateway.Lifecycle;
using Xunit;
using Xunit.Abstractions;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>An operator's drain leaves the tree up, drained, to be resumed: the listeners stay and accept again.</summary>
public sealed class ResumableDrainSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    private Drain Resumable(TimeSpan fromNow) => GracefulDrain(fromNow) with { Reason = DrainReason.Admin, Resumable = true };

    [Fact]
    public async Task A_resumable_drain_answers_once_keeps_the_listeners_and_a_resume_reopens_them()
    {
        var a = Listener("a");
        var b = Listener("b");
        var gateway = StartGateway([a, b]);
        var connection = Accept(gateway, "a", "a1");

        gateway.Tell(StopAccepting.Instance, TestActor);
        await ExpectMsgAsync<AcceptingStopped>(Arrival);
        gateway.Tell(Resumable(TimeSpan.FromSeconds(30)), TestActor);
        Assert.Equal(new DrainCounts(1, 0, 0), (await ExpectMsgAsync<DrainComplete>(Arrival)).Counts);
        Assert.True(connection.HasEnded);
        await ExpectNothingAsync(); // once, and the gateway has not stopped
        var listenerA = await ResolveAsync("/user/gateway/listener-a");

        gateway.Tell(Resume.Instance, TestActor);
        Assert.Empty((await ExpectMsgAsync<Resumed>(Arrival)).Failures);
        Assert.Equal(1, a.ResumeCalls);
        Assert.Equal(1, b.ResumeCalls);
        Assert.Equal(listenerA, await ResolveAsync("/user/gateway/listener-a")); // the same actor, serving again

        // Drained again, it counts afresh: the connection accepted after the resume only.
        Accept(gateway, "b", "b1");
        gateway.Tell(StopAccepting.Instance, TestActor);
        await ExpectMsgAsync<AcceptingStopped>(Arrival);
        gateway.Tell(Resumable(TimeSpan.FromSeconds(30)), TestActor);
        Assert.Equal(new DrainCounts(1, 0, 0), (await ExpectMsgAsync<DrainComplete>(Arrival)).Counts);
    }

    [Fact]
    public async Task A_listener_a_reload_removes_while_the_gateway_is_drained_is_stopped_not_kept()
    {
        var gateway = StartGateway([Listener("a"), Listener("b")]);
        gateway.Tell(Resumable(TimeSpan.FromSeconds(30)), TestActor);
        await ExpectMsgAsync<DrainComplete>(Arrival);
        var b = await ResolveAsync("/user/gateway/listener-b");
        Watch(b);

        gateway.Tell(new GatewaySupervisor.RetireListener("b", GracefulDrain(TimeSpan.FromSeconds(30)) with { Reason = DrainReason.Reload }));

        await ExpectTerminatedAsync(b, Arrival);
        gateway.Tell(Resume.Instance, TestActor);
        Assert.Empty((await ExpectMsgAsync<Resumed>(Arrival)).Failures);
    }

    [Fact]
    public async Task A_connection_forced_at_the_deadline_leaves_the_drained_listener_and_the_next_drain_after_a_resume_does_not_wait_for_it()
    {
        var gateway = StartGateway([Listener("a")]);
        var busy = Accept(gateway, "a", "a1", inFlight: 1);
        var listener = await ResolveAsync("/user/gateway/listener-a");
        await ResolveAsync("/user/gateway/listener-a/conn-a1");
        gateway.Tell(StopAccepting.Instance, TestActor);
        await ExpectMsgAsync<AcceptingStopped>(Arrival);
        gateway.Tell(Resumable(TimeSpan.FromSeconds(5)), TestActor);
        await ExpectNoMsgAsync(Quiet);

        Clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(new DrainCounts(0, 1, 0), (await ExpectMsgAsync<DrainComplete>(Arrival)).Counts);
        await AwaitConditionAsync(() => Task.FromResult(busy.HasEnded), Arrival);
        // The forced connection's last word reaches the listener after its own report: the listener forgets it then.
        await AwaitAssertAsync(async () =>
            Assert.Empty((await listener.Ask<TreeProtocol.TreeNode>(TreeProtocol.GetTree.Instance, Arrival)).Children), Arrival);

        gateway.Tell(Resume.Instance, TestActor);
        Assert.Empty((await ExpectMsgAsync<Resumed>(Arrival)).Failures);
        gateway.Tell(StopAccepting.Instance, TestActor);
        await ExpectMsgAsync<AcceptingStopped>(Arrival);
        gateway.Tell(Resumable(TimeSpan.FromSeconds(30)), TestActor);
        Assert.Equal(DrainCounts.None, (await ExpectMsgAsync<DrainComplete>(Arrival)).Counts);
    }
}
