using System.Net;
using System.Net.Sockets;
using Gateway.Listeners;
using Xunit;

namespace Gateway.Tests.Listeners;

/// <summary>Refusing new handshakes on a listener that keeps its socket (and its queue) open.</summary>
public sealed class ListenQueueTests
{
    [Fact]
    public async Task After_handshakes_stop_a_new_connection_is_not_completed_while_queued_ones_stay()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(16);
        var address = (IPEndPoint)listener.LocalEndPoint!;
        using var before = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await before.ConnectAsync(address);

        Assert.True(ListenQueue.StopHandshakes(listener), "the socket filter must attach on Linux");

        using var after = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var patience = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await after.ConnectAsync(address, patience.Token));
        using var queued = ListenQueue.TryAcceptQueued(listener);
        Assert.NotNull(queued);
        Assert.Equal(before.LocalEndPoint, queued.RemoteEndPoint);
        Assert.Null(ListenQueue.TryAcceptQueued(listener));
    }
}
