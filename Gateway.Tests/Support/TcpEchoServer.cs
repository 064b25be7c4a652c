using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Support;

/// <summary>
/// A raw TCP upstream on 127.0.0.1: every byte received is written back; at the client's FIN it sends the rest and
/// a FIN of its own. Counts the connections it accepted and the bytes it echoed.
/// </summary>
public sealed class TcpEchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _open = [];
    private readonly Task _loop;
    private int _accepted;
    private long _echoed;

    private TcpEchoServer()
    {
        _listener = LoopbackServer.Listen(512);
        _loop = LoopbackServer.AcceptLoopAsync(_listener, socket =>
        {
            Interlocked.Increment(ref _accepted);
            lock (_open) _open.Add(socket);
            return EchoAsync(socket);
        }, _stop.Token);
    }

    public static TcpEchoServer Start() => new();

    public IPEndPoint Address => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>host:port, as an upstream endpoint of a tcp route.</summary>
    public string Endpoint => Address.ToString();

    public int Accepted => Volatile.Read(ref _accepted);
    public long Echoed => Interlocked.Read(ref _echoed);

    private async Task EchoAsync(Socket socket)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0) break;
                await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                Interlocked.Add(ref _echoed, n);
            }
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            lock (_open) _open.Remove(socket);
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _loop;
        lock (_open) _open.ForEach(s => s.Dispose());
    }
}
