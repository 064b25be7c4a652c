using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Gateway.Tests.Support;

/// <summary>
/// The client side of an echo transfer through a tcp listener: writes pseudo-random bytes (hashing them) while it
/// reads and hashes whatever comes back, until the peer's FIN. Bounded: every transfer has a size and a time limit.
/// </summary>
public sealed class TcpTransfer : IDisposable
{
    private readonly Socket _socket;
    private readonly IncrementalHash _sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _receivedHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _sent;
    private long _received;

    private TcpTransfer(Socket socket) => _socket = socket;

    public static async Task<TcpTransfer> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ConnectAsync(endpoint, cts.Token);
        return new TcpTransfer(socket);
    }

    public long Sent => Interlocked.Read(ref _sent);
    public long Received => Interlocked.Read(ref _received);
    public string SentSha256 => Convert.ToHexString(_sentHash.GetCurrentHash());
    public string ReceivedSha256 => Convert.ToHexString(_receivedHash.GetCurrentHash());

    /// <summary>Sends <paramref name="total"/> bytes in chunks, pausing <paramref name="pause"/> between them; then FIN unless told not to.</summary>
    public async Task SendAsync(long total, int chunk, TimeSpan pause, CancellationToken cancellationToken, bool finish = true)
    {
        var random = new Random(42);
        var buffer = new byte[chunk];
        while (Sent < total)
        {
            var n = (int)Math.Min(chunk, total - Sent);
            random.NextBytes(buffer.AsSpan(0, n));
            _sentHash.AppendData(buffer, 0, n);
            await _socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, cancellationToken);
            Interlocked.Add(ref _sent, n);
            if (pause > TimeSpan.Zero) await Task.Delay(pause, cancellationToken);
        }
        if (finish) _socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Reads until the peer's FIN; true when it ended with a FIN, false when it was reset.</summary>
    public async Task<bool> ReceiveToEndAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
                if (n == 0) return true;
                _receivedHash.AppendData(buffer, 0, n);
                Interlocked.Add(ref _received, n);
            }
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _sentHash.Dispose();
        _receivedHash.Dispose();
    }
}
