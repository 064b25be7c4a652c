using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Gateway.Listeners;

/// <summary>
/// Kestrel's accept loop on a socket the gateway owns. Kestrel's own socket listener closes its socket on unbind,
/// resetting the connections in the kernel's queue; this one stops by refusing new handshakes and handing every
/// queued connection to Kestrel first — or, when a successor serves the socket, by leaving the queue to it.
/// </summary>
internal sealed class OwnedSocketAcceptLoop(ListenerHandle listener, Socket socket, SocketConnectionContextFactory connections)
    : IConnectionListener
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _emptyQueue;

    public EndPoint EndPoint => listener.Address;

    /// <summary>Completes when Kestrel has been handed the last connection and told there are no more.</summary>
    public Task Stopped => _stopped.Task;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            if (_stop.IsCancellationRequested)
            {
                if (!_emptyQueue || ListenQueue.TryAcceptQueued(socket) is not { } queued)
                {
                    _stopped.TrySetResult();
                    return null;
                }
                accepted = queued;
            }
            else
            {
                try
                {
                    using var either = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, cancellationToken);
                    accepted = await socket.AcceptAsync(either.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    continue;
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException
                                              || e is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
                {
                    _stopped.TrySetResult();
                    return null;
                }
                catch (SocketException)
                {
                    // A connection reset while queued (ECONNABORTED) costs that connection only.
                    continue;
                }
            }
            // As Kestrel's own accept loop does: a response written in two parts (headers, then body) must not wait
            // for the client's delayed ACK of the first (Nagle), 40 ms per request for a client sending one at a time.
            accepted.NoDelay = true;
            listener.AcceptedByLoop();
            return connections.Create(accepted);
        }
    }

    /// <summary>
    /// Ends the loop. With <paramref name="emptyQueue"/> the queued connections are accepted (served) first; the
    /// caller has stopped new handshakes. Without it they stay queued for whoever else accepts on the socket.
    /// </summary>
    internal Task StopAsync(bool emptyQueue)
    {
        _emptyQueue = emptyQueue;
        _stop.Cancel();
        return _stopped.Task;
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _stop.Cancel();
        return ValueTask.CompletedTask;
    }

    /// <summary>The socket belongs to its <see cref="ListenerHandle"/>, which closes it.</summary>
    public ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _stopped.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
