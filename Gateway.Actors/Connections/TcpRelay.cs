using System.Net.Sockets;
using Akka.Actor;
using Gateway.Hosting;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Microsoft.Extensions.Logging;

namespace Gateway.Connections;

/// <summary>
/// The raw TCP side of the gateway: an accept loop per tcp listener, and the
/// hand-over of each accepted socket to a <see cref="TcpConnection"/> and, through the supervisor, to its actor.
/// </summary>
internal sealed class TcpRelay(GatewayRuntime runtime, ILogger logger)
{
    /// <summary>Starts accepting on a tcp listener's own socket.</summary>
    public void Serve(ListenerHandle listener) => TcpAcceptLoop.Start(listener, socket => Open(listener, socket), logger);

    private void Open(ListenerHandle listener, Socket socket)
    {
        // Read per connection: a reload that changes the route's upstream applies to the next connection.
        if (runtime.Current.Routes.TcpUpstream(listener.Name) is not { } upstream)
        {
            TcpLog.NoRoute(logger, listener.Name, socket.RemoteEndPoint);
            socket.Dispose();
            return;
        }
        socket.NoDelay = true;
        var connection = new TcpConnection(socket, listener, upstream, logger);
        connection.Start();
        runtime.Supervisor.Tell(new GatewaySupervisor.ConnectionAccepted(listener.Name, connection));
        listener.ConnectionRegistered();
    }
}
