using Akka.Actor;
using Akka.Dispatch;
using Gateway.Connections;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.Connections;

/// <summary>A connection actor's mailbox holds nothing until its first message, and keeps every writer's order.</summary>
public sealed class ConnectionMailboxTests
{
    [Fact]
    public async Task The_gateways_connection_actors_get_the_light_mailbox()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        await using var gateway = await InProcessGateway.StartAsync(upstream.GatewayConfig(drain: ""));
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        (await client.GetAsync(new Uri(gateway.Listener(), "/hello"))).EnsureSuccessStatusCode();

        var system = gateway.Gateway.App.Services.GetRequiredService<ActorSystem>();
        var probe = system.ActorSelection("/user/gateway/listener-public/*/*");
        IActorRef? connection = null;
        for (var i = 0; i < 100 && connection is null; i++)
        {
            connection = (await probe.Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(3))).Subject;
            if (connection is null) await Task.Delay(20);
        }
        Assert.NotNull(connection);
        var cell = (ActorCell)((ActorRefWithCell)connection).Underlying;
        Assert.IsType<ConnectionMailbox.Queue>(cell.Mailbox!.MessageQueue);
    }

    [Fact]
    public async Task Messages_from_many_writers_arrive_once_each_in_each_writers_order()
    {
        var queue = new ConnectionMailbox.Queue();
        Assert.False(queue.HasMessages);
        const int writers = 4, each = 2_000;
        var written = Enumerable.Range(0, writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < each; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope((w, i), ActorRefs.NoSender));
        })).ToArray();
        var next = new int[writers];
        var read = 0;
        while (read < writers * each)
        {
            if (!queue.TryDequeue(out var envelope))
            {
                Assert.False(written.All(t => t.IsCompleted) && !queue.HasMessages && read < writers * each, "a message was lost");
                await Task.Yield();
                continue;
            }
            var (w, i) = ((int, int))envelope.Message!;
            Assert.Equal(next[w]++, i);
            read++;
        }
        await Task.WhenAll(written);
        Assert.False(queue.TryDequeue(out _));
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void A_message_at_a_time_allocates_nothing()
    {
        var queue = new ConnectionMailbox.Queue();
        var envelope = new Envelope("drain", ActorRefs.NoSender);
        var before = GC.GetAllocatedBytesForCurrentThread();

        for (var i = 0; i < 3; i++)
        {
            queue.Enqueue(ActorRefs.Nobody, envelope);
            Assert.True(queue.TryDequeue(out var read));
            Assert.Same(envelope.Message, read.Message);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Messages_that_wait_behind_the_first_come_out_in_order_as_reads_and_writes_interleave()
    {
        var queue = new ConnectionMailbox.Queue();
        var next = 0;
        var read = new List<int>();
        void Write(int n) { for (var i = 0; i < n; i++) queue.Enqueue(ActorRefs.Nobody, new Envelope(next++, ActorRefs.NoSender)); }
        void Read(int n) { for (var i = 0; i < n; i++) { Assert.True(queue.TryDequeue(out var e)); read.Add((int)e.Message!); } }

        Write(3); Read(1); Write(2); Read(3); Write(1); Read(2);

        Assert.Equal(Enumerable.Range(0, 6), read);
        Assert.False(queue.HasMessages);
        Assert.False(queue.TryDequeue(out _));
    }
}
