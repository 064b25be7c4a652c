using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Support;

/// <summary>The listening half of a raw test server on 127.0.0.1: an ephemeral port and an accept loop until stopped.</summary>
public static class LoopbackServer
{
    /// <summary>A socket listening on 127.0.0.1 at a free port.</summary>
    public static Socket Listen(int backlog)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(backlog);
        return listener;
    }

    /// <summary>Hands every accepted connection to <paramref name="serve"/> (on the thread pool) until <paramref name="stop"/>.</summary>
    public static async Task AcceptLoopAsync(Socket listener, Func<Socket, Task> serve, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(stop);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => serve(socket), CancellationToken.None);
        }
    }
}
