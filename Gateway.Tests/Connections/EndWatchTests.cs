using Gateway.Connections;
using Xunit;

namespace Gateway.Tests.Connections;

/// <summary>A connection's actor is told of its end exactly once, whichever comes first: the end or the registration.</summary>
public sealed class EndWatchTests : Akka.TestKit.Xunit2.TestKit
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    private sealed class Connection
    {
        public EndWatch End;
    }

    [Fact]
    public async Task An_actor_registered_after_the_end_is_told_at_once()
    {
        var connection = new Connection();
        Assert.True(connection.End.End());
        Assert.True(connection.End.HasEnded);

        connection.End.TellWhenEnded(TestActor);

        await ExpectMsgAsync<ConnectionActor.Ended>();
        await ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public async Task An_actor_registered_before_the_end_is_told_at_the_end_once_however_often_it_ends()
    {
        var connection = new Connection();
        connection.End.TellWhenEnded(TestActor);
        await ExpectNoMsgAsync(Quiet);
        Assert.False(connection.End.HasEnded);

        Assert.True(connection.End.End());
        Assert.False(connection.End.End());

        await ExpectMsgAsync<ConnectionActor.Ended>();
        await ExpectNoMsgAsync(Quiet);
    }

    [Fact]
    public void A_second_registration_is_refused()
    {
        var connection = new Connection();
        connection.End.TellWhenEnded(TestActor);
        Assert.Throws<InvalidOperationException>(() => connection.End.TellWhenEnded(CreateTestProbe().Ref));
    }

    [Fact]
    public async Task Ends_racing_registrations_tell_each_connection_s_actor_exactly_once()
    {
        const int connections = 1_000;
        var all = Enumerable.Range(0, connections).Select(_ => new Connection()).ToArray();
        // One connection at a time, its end and its registration let go together: either may win.
        using var together = new Barrier(2);
        var ending = Task.Run(() =>
        {
            foreach (var c in all)
            {
                together.SignalAndWait();
                c.End.End();
            }
        });
        var registering = Task.Run(() =>
        {
            foreach (var c in all)
            {
                together.SignalAndWait();
                c.End.TellWhenEnded(TestActor);
            }
        });
        await Task.WhenAll(ending, registering);

        for (var i = 0; i < connections; i++) await ExpectMsgAsync<ConnectionActor.Ended>();
        await ExpectNoMsgAsync(Quiet);
    }
}
