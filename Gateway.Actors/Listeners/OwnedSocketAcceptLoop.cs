using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Gateway.Listeners;

/// <summary>
/// Kestrel's accept loop on a socket the gateway owns. Kestrel's own socket listener closes its socket on unbind,
/// resetting the connections in the kernel's queue; this one stops by refusing new handshakes and handing every
/// queued connection to Kestrel first — or, when a successor serves the socket, by leaving the queue to it. Stopped,
/// it waits rather than ending Kestrel's loop, so that a drain taken back accepts again on the listener's socket
/// (the same one, or one bound anew) without a new server; Kestrel's own unbind ends it.
/// </summary>
internal sealed class OwnedSocketAcceptLoop(ListenerHandle listener, SocketConnectionContextFactory connections)
    : IConnectionListener
{
    private readonly CancellationTokenSource _unbound = new();
    private readonly Lock _gate = new();
    private CancellationTokenSource _stop = new();
    private TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _emptyQueue;

    public EndPoint EndPoint => listener.Address;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (!_unbound.IsCancellationRequested)
        {
            CancellationTokenSource stop;
            lock (_gate) stop = _stop;
            var socket = listener.Socket;
            Socket accepted;
            if (stop.IsCancellationRequested)
            {
                if (!_emptyQueue || ListenQueue.TryAcceptQueued(socket) is not { } queued)
                {
                    if (!await ParkAsync(cancellationToken).ConfigureAwait(false)) return null;
                    continue;
                }
                accepted = queued;
            }
            else
            {
                try
                {
                    using var either = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, cancellationToken, _unbound.Token);
                    accepted = await socket.AcceptAsync(either.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested && !_unbound.IsCancellationRequested
                                          && (e is OperationCanceledException or ObjectDisposedException
                                              || e is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted }))
                {
                    // Stopped (or its socket closed by the stop): accept what is queued, then wait.
                    continue;
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException
                                              || e is SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
                {
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
        return null;
    }

    /// <summary>Says it has stopped and waits to be resumed; false when Kestrel unbinds meanwhile.</summary>
    private async Task<bool> ParkAsync(CancellationToken cancellationToken)
    {
        Task resumed;
        lock (_gate)
        {
            if (!_stop.IsCancellationRequested) return true; // resumed already
            _stopped.TrySetResult();
            resumed = _resumed.Task;
        }
        try
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbound.Token);
            await resumed.WaitAsync(either.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Stops accepting. With <paramref name="emptyQueue"/> the queued connections are accepted (served) first; the
    /// caller has stopped new handshakes. Without it they stay queued for whoever else accepts on the socket.
    /// Completes once the loop has handed Kestrel its last connection.
    /// </summary>
    internal Task StopAsync(bool emptyQueue)
    {
        _emptyQueue = emptyQueue;
        lock (_gate)
        {
            _stop.Cancel();
            return _stopped.Task;
        }
    }

    /// <summary>Accepts again, on the listener's socket as it is now.</summary>
    internal void Resume()
    {
        lock (_gate)
        {
            if (!_stop.IsCancellationRequested) return;
            _stop = new CancellationTokenSource();
            _stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var resumed = _resumed;
            _resumed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            resumed.TrySetResult();
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbound.Cancel();
        return ValueTask.CompletedTask;
    }

    /// <summary>The socket belongs to its <see cref="ListenerHandle"/>, which closes it.</summary>
    public ValueTask DisposeAsync()
    {
        _unbound.Cancel();
        lock (_gate) _stopped.TrySetResult();
        return ValueTask.CompletedTask;
    }
}
