using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Grpc;

/// <summary>
/// An HTTP/2 endpoint that refuses every stream it is sent, the two ways RFC 9113 lets a server say "not processed":
/// RST_STREAM with REFUSED_STREAM, or GOAWAY with a last stream id below the stream (then the connection closes).
/// No HTTP/2 server on NuGet can be made to do either on demand, so this one speaks just enough frames to do it.
/// </summary>
public sealed class RefusingHttp2Upstream : IAsyncDisposable
{
    public enum Refusal { RefusedStream, GoAway }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Refusal _refusal;
    private readonly Task _accepting;
    private int _refused;

    public RefusingHttp2Upstream(Refusal refusal)
    {
        _refusal = refusal;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Streams refused so far.</summary>
    public int Refused => _refused;

    private async Task AcceptAsync()
    {
        try
        {
            while (true) _ = ServeAsync(await _listener.AcceptTcpClientAsync(_stop.Token));
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using var _ = client;
        var stream = client.GetStream();
        try
        {
            var preface = new byte[24];
            await stream.ReadExactlyAsync(preface, _stop.Token);
            await WriteFrameAsync(stream, type: 4, flags: 0, streamId: 0, []); // SETTINGS
            var header = new byte[9];
            while (true)
            {
                await stream.ReadExactlyAsync(header, _stop.Token);
                var length = header[0] << 16 | header[1] << 8 | header[2];
                var (type, flags) = (header[3], header[4]);
                var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(5)) & 0x7FFFFFFF);
                await stream.ReadExactlyAsync(new byte[length], _stop.Token);
                if (type == 4 && (flags & 1) == 0) await WriteFrameAsync(stream, 4, 1, 0, []); // SETTINGS ACK
                if (type != 1) continue; // only HEADERS open a stream
                Interlocked.Increment(ref _refused);
                var payload = new byte[8];
                if (_refusal == Refusal.RefusedStream)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(payload, 0x7); // REFUSED_STREAM
                    await WriteFrameAsync(stream, type: 3, flags: 0, streamId, payload[..4]);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)(streamId - 2 > 0 ? streamId - 2 : 0)); // last stream id: below this one
                    await WriteFrameAsync(stream, type: 7, flags: 0, streamId: 0, payload); // GOAWAY, NO_ERROR
                    await Task.Delay(50, _stop.Token);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException or SocketException)
        {
        }
    }

    private static async Task WriteFrameAsync(NetworkStream stream, byte type, byte flags, int streamId, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), (uint)streamId);
        payload.CopyTo(frame, 9);
        await stream.WriteAsync(frame);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
    }
}
