using System.Net;
using System.Net.Sockets;

namespace Gateway.Listeners;

/// <summary>A listening socket the gateway binds itself (never Kestrel: see <see cref="ListenerHandle"/>).</summary>
internal static class ListeningSocket
{
    /// <summary>The kernel's accept queue: room for a burst of connections while the accept loop catches up.</summary>
    private const int Backlog = 512;

    /// <summary>Binds and listens; an IPv6 address serves IPv6 only, so that it can stand beside an IPv4 listener.</summary>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public static Socket Bind(IPEndPoint address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            socket.Bind(address);
            socket.Listen(Backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
