using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Gateway.Listeners;

/// <summary>
/// Accepts on a tcp listener's socket. Akka's <c>Tcp().Bind</c> would bind a socket of its own; this loop accepts on
/// the socket the gateway owns, so that a hot restart can hand it to a successor like an HTTP listener's.
/// Stopping ends the loop and leaves the socket to <see cref="ListenerHandle.StopAcceptingAsync"/>.
/// </summary>
internal sealed class TcpAcceptLoop
{
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private ListenerHandle? _listener;
    private Action<Socket>? _accepted;
    private ILogger? _logger;

    private TcpAcceptLoop()
    {
    }

    public static TcpAcceptLoop Start(ListenerHandle listener, Action<Socket> accepted, ILogger logger)
    {
        var loop = new TcpAcceptLoop { _listener = listener, _accepted = accepted, _logger = logger };
        listener.Attach(loop);
        loop._loop = Task.Run(() => loop.RunAsync(listener, accepted, logger));
        return loop;
    }

    private async Task RunAsync(ListenerHandle listener, Action<Socket> accepted, ILogger logger)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.Socket.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || _stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors and the like: the socket still listens, so try again shortly.
                Connections.TcpLog.AcceptFailed(logger, listener.Name, e.Message);
                await Task.Delay(100, CancellationToken.None).ConfigureAwait(false);
                continue;
            }
            try
            {
                accepted(socket);
            }
            catch (Exception e)
            {
                Connections.TcpLog.RelayNotStarted(logger, e, listener.Name, socket.RemoteEndPoint);
                socket.Dispose();
            }
        }
    }

    /// <summary>A loop like this one, started anew on the listener's socket as it is now (a drain taken back).</summary>
    public TcpAcceptLoop Restart() => Start(_listener!, _accepted!, _logger!);

    /// <summary>
    /// No connection is accepted after this completes; the socket itself stays open. With <paramref name="emptyQueue"/>
    /// the connections already in the kernel's queue are accepted and relayed first (new handshakes are refused by then).
    /// </summary>
    public async Task StopAsync(bool emptyQueue = false)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (emptyQueue && _listener is { } listener && _accepted is { } accepted)
            while (ListenQueue.TryAcceptQueued(listener.Socket) is { } queued)
                accepted(queued);
    }
}
