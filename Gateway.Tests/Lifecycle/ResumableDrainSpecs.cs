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
}
