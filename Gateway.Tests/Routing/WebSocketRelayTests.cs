using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using Gateway.Routing;
using Xunit;

namespace Gateway.Tests.Routing;

/// <summary>
/// A relayed WebSocket waits for its next message most of its life, and agent traffic holds thousands of them: the
/// relay waits on each side (.NET's WebSocket over real loopback sockets) holding no buffer — every receive that has
/// to wait is a zero-byte receive — and still relays every message whole: text, binary, empty, fragmented.
/// </summary>
public sealed class WebSocketRelayTests
{
    [Fact]
    public async Task A_websocket_waits_for_its_next_message_with_a_zero_byte_receive_and_relays_every_message_whole()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (producer, fromProducer) = await PairAsync();
        var (toConsumer, consumer) = await PairAsync();
        var from = new ReceiveRecordingWebSocket(fromProducer);
        var pump = WebSocketRelay.PumpAsync(from, new WebSocketRelay.Sender(toConsumer), timeout.Token);

        // Each message goes once the pump waits for it; that wait is a zero-byte receive, but inside a fragmented
        // message, where the pump holds the message's buffer.
        async Task SendWhenWaitingAsync(byte[] message, WebSocketMessageType type, bool endOfMessage, bool insideMessage = false)
        {
            var waitedWith = await from.NextWaitAsync(timeout.Token);
            if (insideMessage) Assert.True(waitedWith > 0);
            else Assert.Equal(0, waitedWith);
            await producer.SendAsync(message, type, endOfMessage, timeout.Token);
        }
        await SendWhenWaitingAsync("first"u8.ToArray(), WebSocketMessageType.Text, true);
        await SendWhenWaitingAsync([1, 2, 3], WebSocketMessageType.Binary, true);
        await SendWhenWaitingAsync([], WebSocketMessageType.Text, true);
        await SendWhenWaitingAsync("frag"u8.ToArray(), WebSocketMessageType.Text, false);
        await SendWhenWaitingAsync("mented"u8.ToArray(), WebSocketMessageType.Text, true, insideMessage: true);
        Assert.Equal(0, await from.NextWaitAsync(timeout.Token));
        await producer.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);

        Assert.Equal(("first", WebSocketMessageType.Text), await ReceiveMessageAsync(consumer, timeout.Token));
        Assert.Equal(("\u0001\u0002\u0003", WebSocketMessageType.Binary), await ReceiveMessageAsync(consumer, timeout.Token));
        Assert.Equal(("", WebSocketMessageType.Text), await ReceiveMessageAsync(consumer, timeout.Token));
        Assert.Equal(("fragmented", WebSocketMessageType.Text), await ReceiveMessageAsync(consumer, timeout.Token));
        Assert.Equal(("", WebSocketMessageType.Close), await ReceiveMessageAsync(consumer, timeout.Token));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, consumer.CloseStatus);
        await pump.WaitAsync(timeout.Token);
    }

    private static async Task<(string Text, WebSocketMessageType Type)> ReceiveMessageAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        var message = new MemoryStream();
        var buffer = new byte[1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            message.Write(buffer, 0, received.Count);
            if (received.EndOfMessage) return (Encoding.UTF8.GetString(message.ToArray()), received.MessageType);
        }
    }

    /// <summary>Two ends of a WebSocket over a loopback TCP connection: (client, server).</summary>
    private static async Task<(WebSocket Client, WebSocket Server)> PairAsync()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        var server = await listener.AcceptTcpClientAsync();
        return (WebSocket.CreateFromStream(client.GetStream(), new WebSocketCreationOptions { IsServer = false }),
                WebSocket.CreateFromStream(server.GetStream(), new WebSocketCreationOptions { IsServer = true }));
    }

    /// <summary>A WebSocket that tells the buffer length of every receive that did not complete at once.</summary>
    private sealed class ReceiveRecordingWebSocket(WebSocket inner) : WebSocket
    {
        private readonly Channel<int> _waits = Channel.CreateUnbounded<int>();

        /// <summary>The buffer length of the next receive that has to wait for bytes.</summary>
        public ValueTask<int> NextWaitAsync(CancellationToken cancellationToken) => _waits.Reader.ReadAsync(cancellationToken);

        public override ValueTask<ValueWebSocketReceiveResult> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
        {
            var receive = inner.ReceiveAsync(buffer, cancellationToken);
            if (!receive.IsCompleted) _waits.Writer.TryWrite(buffer.Length);
            return receive;
        }

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            throw new NotSupportedException("the relay receives into memory");
        public override Task SendAsync(ArraySegment<byte> buffer, WebSocketMessageType messageType, bool endOfMessage, CancellationToken cancellationToken) =>
            inner.SendAsync(buffer, messageType, endOfMessage, cancellationToken);
        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            inner.CloseAsync(closeStatus, statusDescription, cancellationToken);
        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            inner.CloseOutputAsync(closeStatus, statusDescription, cancellationToken);
        public override void Abort() => inner.Abort();
        public override void Dispose() => inner.Dispose();
        public override WebSocketCloseStatus? CloseStatus => inner.CloseStatus;
        public override string? CloseStatusDescription => inner.CloseStatusDescription;
        public override WebSocketState State => inner.State;
        public override string? SubProtocol => inner.SubProtocol;
    }
}
