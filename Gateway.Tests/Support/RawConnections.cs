using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>How a peer ended a TCP connection, as seen by a reader.</summary>
public enum PeerClose
{
    /// <summary>An orderly close: the read returned 0 bytes (FIN).</summary>
    Fin,
    /// <summary>An abortive close: the read failed with ECONNRESET (RST).</summary>
    Reset,
    /// <summary>Nothing happened before the wait ran out.</summary>
    StillOpen,
}

/// <summary>An HTTP/1.1 keep-alive connection on a raw socket, so a test can see FIN versus RST.</summary>
public sealed class RawHttp1Connection : IDisposable
{
    private readonly Socket _socket;

    private RawHttp1Connection(Socket socket) => _socket = socket;

    public static async Task<RawHttp1Connection> OpenAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        return new RawHttp1Connection(socket);
    }

    private readonly List<byte> _received = [];

    /// <summary>Sends a GET and reads the whole response (it must carry Content-Length); returns head and body.</summary>
    public async Task<(string Head, string Body)> GetAsync(string path, CancellationToken cancellationToken)
    {
        await SendGetAsync(path, cancellationToken);
        return await ReadResponseAsync(cancellationToken);
    }

    /// <summary>Sends a GET on the connection without reading anything.</summary>
    public Task SendGetAsync(string path, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: gateway.test\r\n\r\n"), cancellationToken).AsTask();

    /// <summary>Reads until <paramref name="text"/> has arrived (a response's head and the start of its body, say).</summary>
    public async Task ReadUntilAsync(string text, CancellationToken cancellationToken)
    {
        while (!Encoding.ASCII.GetString(_received.ToArray()).Contains(text, StringComparison.Ordinal))
            await ReceiveAsync(cancellationToken);
    }

    /// <summary>Reads one whole response (it must carry Content-Length); returns head and body.</summary>
    public async Task<(string Head, string Body)> ReadResponseAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var text = Encoding.ASCII.GetString(_received.ToArray());
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                var head = text[..end];
                var length = int.Parse(head.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    .Split(':')[1].Trim());
                if (_received.Count >= end + 4 + length)
                {
                    _received.RemoveRange(0, end + 4 + length);
                    return (head, text.Substring(end + 4, length));
                }
            }
            await ReceiveAsync(cancellationToken);
        }
    }

    private async Task ReceiveAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var n = await _socket.ReceiveAsync(buffer, cancellationToken);
        if (n == 0) throw new IOException("connection closed before the response ended");
        _received.AddRange(buffer.AsSpan(0, n).ToArray());
    }

    /// <summary>Waits for the peer to close the idle connection and tells how it closed it.</summary>
    public Task<PeerClose> WaitForCloseAsync(TimeSpan timeout) => Raw.WaitForCloseAsync(_socket, timeout);

    public void Dispose() => _socket.Dispose();
}

/// <summary>An HTTP/2 cleartext (prior knowledge) connection on a raw socket that watches for GOAWAY.</summary>
public sealed class RawHttp2Connection : IDisposable
{
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private readonly Socket _socket;

    private RawHttp2Connection(Socket socket) => _socket = socket;

    /// <summary>Connects, sends the preface and an empty SETTINGS frame, and waits for the server's SETTINGS.</summary>
    public static async Task<RawHttp2Connection> OpenAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint, cancellationToken);
        await socket.SendAsync(Preface.Concat(Frame(type: 0x4, flags: 0, stream: 0, [])).ToArray(), cancellationToken);
        var connection = new RawHttp2Connection(socket);
        var (type, _, _) = await connection.ReadFrameAsync(cancellationToken);
        if (type != 0x4) throw new IOException($"expected SETTINGS first, got frame type {type}");
        await socket.SendAsync(Frame(type: 0x4, flags: 0x1, stream: 0, []), cancellationToken); // SETTINGS ACK
        return connection;
    }

    /// <summary>Reads frames until a GOAWAY arrives; returns its error code, or null when the connection closed first.</summary>
    public async Task<int?> WaitForGoAwayAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var (type, _, payload) = await ReadFrameAsync(cancellationToken);
                if (type == 0x7)
                    return (payload[4] << 24) | (payload[5] << 16) | (payload[6] << 8) | payload[7];
            }
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Sends a GET as one HEADERS frame (HPACK literals, no Huffman) that ends the stream.</summary>
    public Task SendGetAsync(int stream, string path, CancellationToken cancellationToken)
    {
        var block = new List<byte> { 0x82, 0x86 }; // :method GET, :scheme http (static table)
        block.AddRange(Literal(4, path));          // :path, name from the static table
        block.AddRange(Literal(1, "gateway.test")); // :authority
        return _socket.SendAsync(Frame(type: 0x1, flags: 0x5, stream, [.. block]), cancellationToken).AsTask(); // END_STREAM|END_HEADERS
    }

    /// <summary>The next frame: its type, flags, stream id and payload; throws IOException when the connection closed.</summary>
    public async Task<(byte Type, byte Flags, int Stream, byte[] Payload)> NextFrameAsync(CancellationToken cancellationToken)
    {
        var header = await ReadExactlyAsync(9, cancellationToken);
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        var stream = ((header[5] & 0x7F) << 24) | (header[6] << 16) | (header[7] << 8) | header[8];
        return (header[3], header[4], stream, await ReadExactlyAsync(length, cancellationToken));
    }

    /// <summary>Answers a PING of the server's: the ACK with its opaque data.</summary>
    public Task SendPingAckAsync(byte[] opaque, CancellationToken cancellationToken) =>
        _socket.SendAsync(Frame(type: 0x6, flags: 0x1, stream: 0, opaque), cancellationToken).AsTask();

    /// <summary>Sends bytes as they are (a malformed frame, say).</summary>
    public Task SendRawAsync(byte[] bytes, CancellationToken cancellationToken) => _socket.SendAsync(bytes, cancellationToken).AsTask();

    private static byte[] Literal(int nameIndex, string value) =>
        [(byte)nameIndex, (byte)value.Length, .. System.Text.Encoding.ASCII.GetBytes(value)]; // literal without indexing

    private async Task<(byte Type, byte Flags, byte[] Payload)> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var header = await ReadExactlyAsync(9, cancellationToken);
        var length = (header[0] << 16) | (header[1] << 8) | header[2];
        return (header[3], header[4], await ReadExactlyAsync(length, cancellationToken));
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await _socket.ReceiveAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0) throw new IOException("connection closed");
            read += n;
        }
        return buffer;
    }

    private static byte[] Frame(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        frame[5] = (byte)(stream >> 24);
        frame[6] = (byte)(stream >> 16);
        frame[7] = (byte)(stream >> 8);
        frame[8] = (byte)stream;
        payload.CopyTo(frame, 9);
        return frame;
    }

    public void Dispose() => _socket.Dispose();
}

internal static class Raw
{
    public static async Task<PeerClose> WaitForCloseAsync(Socket socket, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, cts.Token);
                if (n == 0) return PeerClose.Fin;
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return PeerClose.Reset;
        }
        catch (OperationCanceledException)
        {
            return PeerClose.StillOpen;
        }
    }

    /// <summary>A loopback port free a moment ago (for a config that must name a fixed port).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>True when a TCP connect to <paramref name="endpoint"/> is refused (nobody listens there).</summary>
    public static async Task<bool> IsRefusedAsync(IPEndPoint endpoint)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await socket.ConnectAsync(endpoint, cts.Token);
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }
}
