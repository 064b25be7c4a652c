using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Listeners;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Tests.Listeners;

/// <summary>
/// The kernel's accept queue at the unbind: connections whose handshake completed but that nobody accepted yet.
/// Closing the socket resets them — after their client sent a request — so the listener serves them first.
/// </summary>
public sealed class OwnedSocketAcceptLoopTests : IDisposable
{
    private readonly SocketConnectionContextFactory _connections = new(new SocketConnectionFactoryOptions(), NullLogger.Instance);

    public void Dispose() => _connections.Dispose();

    [Fact]
    public async Task Connections_queued_at_the_unbind_are_accepted_and_served_then_new_ones_are_refused()
    {
        var listener = ListenerHandle.Bind("queued", new IPEndPoint(IPAddress.Loopback, 0));
        var loop = listener.CreateAcceptLoop(_connections);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // Nobody accepts yet: these sit in the kernel's queue, each with its request already sent.
        var clients = new List<Socket>();
        for (var i = 0; i < 5; i++)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(listener.Address, timeout.Token);
            await client.SendAsync(Encoding.ASCII.GetBytes($"request {i}\n"), timeout.Token);
            clients.Add(client);
        }

        var stopping = listener.StopAcceptingAsync();
        var served = new List<string>();
        var accepting = loop.AcceptAsync(timeout.Token).AsTask();
        while (await Task.WhenAny(accepting, stopping) == accepting || accepting.IsCompleted)
        {
            await using var connection = (await accepting)!;
            var request = await ReadLineAsync(connection, timeout.Token);
            served.Add(request);
            await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes($"answer to {request}\n"), timeout.Token);
            await connection.Transport.Output.CompleteAsync();
            accepting = loop.AcceptAsync(timeout.Token).AsTask();
        }
        await stopping.WaitAsync(timeout.Token);
        // Stopped, the loop waits (a drain may be taken back) rather than end Kestrel's; Kestrel's own unbind ends it.
        await loop.UnbindAsync();
        Assert.Null(await accepting.WaitAsync(timeout.Token));

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"request {i}"), served.Order());
        foreach (var (client, i) in clients.Select((c, i) => (c, i)))
        {
            var answer = new byte[64];
            var n = await client.ReceiveAsync(answer, timeout.Token);
            Assert.StartsWith("answer to request", Encoding.ASCII.GetString(answer, 0, n));
            client.Dispose();
        }
        Assert.True(await Raw.IsRefusedAsync(listener.Address), "a connection after the unbind must be refused");
    }

    [Fact]
    public async Task A_handed_off_listener_leaves_its_queue_to_the_successor()
    {
        var listener = ListenerHandle.Bind("shared", new IPEndPoint(IPAddress.Loopback, 0));
        var loop = listener.CreateAcceptLoop(_connections);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.Address, timeout.Token);

        listener.HandOff();
        var stopping = listener.StopAcceptingAsync();
        var accepting = loop.AcceptAsync(timeout.Token).AsTask();
        await stopping.WaitAsync(timeout.Token);
        Assert.False(accepting.IsCompleted, "the queued connection is the successor's");
        await loop.UnbindAsync();
        Assert.Null(await accepting.WaitAsync(timeout.Token));

        // The socket stays open for the successor, with the queued connection still in it.
        using var successor = new Socket(new SafeSocketHandle(listener.Descriptor, ownsHandle: false));
        using var queued = await successor.AcceptAsync(timeout.Token);
        Assert.Equal(client.LocalEndPoint, queued.RemoteEndPoint);
    }

    [Fact]
    public async Task A_stopped_listener_accepts_again_on_a_socket_bound_anew_at_the_same_address()
    {
        var listener = ListenerHandle.Bind("resumed", new IPEndPoint(IPAddress.Loopback, 0));
        var loop = listener.CreateAcceptLoop(_connections);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var accepting = loop.AcceptAsync(timeout.Token).AsTask();
        await listener.StopAcceptingAsync().WaitAsync(timeout.Token);
        Assert.True(await Raw.IsRefusedAsync(listener.Address), "stopped: its socket is closed");
        Assert.False(accepting.IsCompleted);

        await listener.ResumeAcceptingAsync();
        Assert.True(listener.Accepting);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.Address, timeout.Token);
        await using var connection = (await accepting.WaitAsync(timeout.Token))!;
        Assert.Equal(client.LocalEndPoint, connection.RemoteEndPoint);
        await loop.UnbindAsync();
    }

    private static async Task<string> ReadLineAsync(ConnectionContext connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await connection.Transport.Input.ReadAsync(cancellationToken);
            var text = Encoding.ASCII.GetString(read.Buffer.ToArray());
            if (text.IndexOf('\n') is var end and >= 0)
            {
                connection.Transport.Input.AdvanceTo(read.Buffer.End);
                return text[..end];
            }
            if (read.IsCompleted) throw new IOException("closed before a line");
            connection.Transport.Input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
