using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>One request exactly as an upstream received it: the request line, every header line in order, the body bytes.</summary>
public sealed record RecordedRequest(string RequestLine, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[] Raw)
{
    public string Method => RequestLine.Split(' ')[0];

    /// <summary>The request target, byte for byte as it was on the wire.</summary>
    public string Target => RequestLine.Split(' ')[1];

    /// <summary>Every value of a header, in order (names compared case-insensitively).</summary>
    public IReadOnlyList<string> All(string name) =>
        Headers.Where(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).ToList();

    /// <summary>The one value of a header; null when absent (fails when it appears twice).</summary>
    public string? Header(string name) => All(name) switch
    {
        [] => null,
        [var one] => one,
        var many => throw new InvalidOperationException($"{name} appears {many.Count} times: {string.Join(" | ", many)}"),
    };

    public bool Has(string name) => All(name).Count > 0;

    /// <summary>The bytes after the head: a body as framed on the wire (chunks included).</summary>
    public string Body => Encoding.Latin1.GetString(Raw, Raw.AsSpan().IndexOf("\r\n\r\n"u8) + 4, Raw.Length - Raw.AsSpan().IndexOf("\r\n\r\n"u8) - 4);

    public override string ToString() => Encoding.Latin1.GetString(Raw);
}

/// <summary>
/// An HTTP/1.1 upstream on a raw socket (127.0.0.1, ephemeral port) that records every request byte for byte — no
/// HTTP library between the gateway and the assertion — and answers with bytes the test chooses. A WebSocket upgrade
/// is answered 101 and its close frame echoed, so the relay's handshake can be recorded too.
/// </summary>
public sealed class RecordingUpstream : IAsyncDisposable
{
    /// <summary>A plain answer: 200 with a two-byte body.</summary>
    public static readonly byte[] Ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"u8.ToArray();

    private readonly Socket _listener;
    private readonly Func<RecordedRequest, byte[]?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<Socket> _open = [];
    private readonly Task _loop;
    private readonly SemaphoreSlim _arrived = new(0);

    private RecordingUpstream(Func<RecordedRequest, byte[]?> answer)
    {
        _answer = answer;
        _listener = LoopbackServer.Listen(64);
        _loop = LoopbackServer.AcceptLoopAsync(_listener, socket =>
        {
            Interlocked.Increment(ref _connections);
            _open.Add(socket);
            return ServeAsync(socket);
        }, _stop.Token);
    }

    /// <param name="answer">
    /// The response bytes for a request; null (and by default): <see cref="Ok"/>, or 101 to a WebSocket upgrade.
    /// </param>
    public static RecordingUpstream Start(Func<RecordedRequest, byte[]?>? answer = null) => new(answer ?? (_ => null));

    /// <summary>A fixed answer for every request.</summary>
    public static RecordingUpstream Answering(string response) => Start(_ => Encoding.Latin1.GetBytes(response));

    /// <summary>host:port, as an upstream endpoint takes it.</summary>
    public string Endpoint => ((IPEndPoint)_listener.LocalEndPoint!).ToString();

    /// <summary>Every request received, in arrival order.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Connections accepted (a request that never reached the upstream leaves this at its value).</summary>
    public int Connections => Volatile.Read(ref _connections);

    private int _connections;

    /// <summary>The next request to arrive (those already taken are not returned again).</summary>
    public async Task<RecordedRequest> NextAsync(TimeSpan? limit = null)
    {
        if (!await _arrived.WaitAsync(limit ?? TimeSpan.FromSeconds(20)))
            throw new TimeoutException("no request reached the upstream");
        return Requests.ElementAt(Interlocked.Increment(ref _taken) - 1);
    }

    private int _taken;

    private async Task ServeAsync(Socket socket)
    {
        var reader = new ByteReader(socket, _stop.Token);
        try
        {
            while (await ReadRequestAsync(reader) is { } request)
            {
                Requests.Enqueue(request);
                _arrived.Release();
                var answer = _answer(request);
                if (answer is null && request.Header("Upgrade") is { } upgrade && upgrade.Equals("websocket", StringComparison.OrdinalIgnoreCase))
                {
                    await socket.SendAsync(Switching(request), _stop.Token);
                    await EchoCloseAsync(socket, reader);
                    return;
                }
                await socket.SendAsync(answer ?? Ok, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>Reads one request head and its body as framed (Content-Length or chunked); null at a clean end.</summary>
    private static async Task<RecordedRequest?> ReadRequestAsync(ByteReader reader)
    {
        var head = await reader.ReadUntilAsync("\r\n\r\n"u8.ToArray());
        if (head is null) return null;
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var headers = lines.Skip(1).Where(l => l.Length > 0)
            .Select(l => new KeyValuePair<string, string>(l[..l.IndexOf(':')], l[(l.IndexOf(':') + 1)..].Trim(' ', '\t')))
            .ToList();
        var raw = new List<byte>(head);
        var probe = new RecordedRequest(lines[0], headers, head);
        if (probe.Header("Transfer-Encoding") is { } te && te.EndsWith("chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var sizeLine = await reader.ReadUntilAsync("\r\n"u8.ToArray()) ?? throw new IOException("cut inside a chunked body");
                raw.AddRange(sizeLine);
                var size = Convert.ToInt32(Encoding.ASCII.GetString(sizeLine).Split(';')[0].Trim(), 16);
                if (size == 0)
                {
                    raw.AddRange(await reader.ReadUntilAsync("\r\n"u8.ToArray(), allowEmptyLine: true) ?? throw new IOException("cut in the trailers"));
                    break;
                }
                raw.AddRange(await reader.ReadExactlyAsync(size + 2));
            }
        }
        else if (probe.Header("Content-Length") is { } length)
        {
            raw.AddRange(await reader.ReadExactlyAsync(int.Parse(length)));
        }
        return probe with { Raw = [.. raw] };
    }

    private static byte[] Switching(RecordedRequest request)
    {
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(request.Header("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        var protocol = request.Header("Sec-WebSocket-Protocol") is { } p ? $"Sec-WebSocket-Protocol: {p.Split(',')[0].Trim()}\r\n" : "";
        return Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n{protocol}X-Upstream-Handshake: 1\r\n\r\n");
    }

    /// <summary>Reads WebSocket frames until a close frame, answers it with a close frame of its own, and ends.</summary>
    private async Task EchoCloseAsync(Socket socket, ByteReader reader)
    {
        while (true)
        {
            var start = await reader.ReadExactlyAsync(2);
            var opcode = start[0] & 0x0F;
            long length = start[1] & 0x7F;
            if (length == 126) length = (long)BitConverter.ToUInt16([.. (await reader.ReadExactlyAsync(2)).Reverse()]);
            else if (length == 127) length = (long)BitConverter.ToUInt64([.. (await reader.ReadExactlyAsync(8)).Reverse()]);
            var mask = (start[1] & 0x80) != 0 ? await reader.ReadExactlyAsync(4) : null;
            var payload = await reader.ReadExactlyAsync((int)length);
            if (mask is not null)
                for (var i = 0; i < payload.Length; i++) payload[i] ^= mask[i % 4];
            if (opcode != 0x8) continue;
            await socket.SendAsync((byte[])[0x88, (byte)payload.Length, .. payload], _stop.Token);
            return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
        foreach (var socket in _open) socket.Dispose();
    }

    /// <summary>Buffered reads from a socket, by delimiter or by count.</summary>
    private sealed class ByteReader(Socket socket, CancellationToken stop)
    {
        private readonly List<byte> _buffer = [];
        private readonly byte[] _chunk = new byte[16 * 1024];

        /// <summary>Bytes up to and including <paramref name="delimiter"/>; null when the peer closed before any byte of it.</summary>
        public async Task<byte[]?> ReadUntilAsync(byte[] delimiter, bool allowEmptyLine = false)
        {
            while (true)
            {
                var at = IndexOf(delimiter);
                if (at >= 0)
                {
                    var line = _buffer.GetRange(0, at + delimiter.Length).ToArray();
                    _buffer.RemoveRange(0, at + delimiter.Length);
                    // A chunked body's trailer section ends with an empty line: keep reading until it comes.
                    if (allowEmptyLine && line.Length > 2 && !line.AsSpan().EndsWith("\r\n\r\n"u8))
                        return [.. line, .. await ReadUntilAsync(delimiter, allowEmptyLine) ?? []];
                    return line;
                }
                if (!await FillAsync()) return _buffer.Count == 0 ? null : throw new IOException("cut inside a head");
            }
        }

        public async Task<byte[]> ReadExactlyAsync(int count)
        {
            while (_buffer.Count < count)
                if (!await FillAsync()) throw new IOException("cut inside a body");
            var bytes = _buffer.GetRange(0, count).ToArray();
            _buffer.RemoveRange(0, count);
            return bytes;
        }

        private async Task<bool> FillAsync()
        {
            var n = await socket.ReceiveAsync(_chunk, SocketFlags.None, stop);
            if (n == 0) return false;
            _buffer.AddRange(_chunk.AsSpan(0, n));
            return true;
        }

        private int IndexOf(byte[] delimiter)
        {
            for (var i = 0; i + delimiter.Length <= _buffer.Count; i++)
            {
                var match = true;
                for (var j = 0; j < delimiter.Length && match; j++) match = _buffer[i + j] == delimiter[j];
                if (match) return i;
            }
            return -1;
        }
    }
}
