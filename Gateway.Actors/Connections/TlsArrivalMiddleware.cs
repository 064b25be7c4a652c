using Gateway.Listeners;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Connections;

/// <summary>
/// A TLS connection arrives before its handshake, so that the unbind accounts for it: it stays "silent" until it
/// reaches the actor tree (after the handshake, in <see cref="ConnectionMiddleware"/>) or closes, and a drain waits for
/// handshakes under way. In front of it, the TLS guard turns plain HTTP away and counts refusals.
/// </summary>
internal sealed class TlsArrivalMiddleware(ConnectionDelegate next, ListenerHandle listener)
{
    public async Task InvokeAsync(ConnectionContext context)
    {
        var connection = new KestrelConnection(context, listener);
        listener.ConnectionArrived(connection);
        context.Items[KestrelConnection.ArrivingKey] = connection;
        try
        {
            await Tls.TlsConnectionGuard.GuardAsync(listener, context, next, connection.CloseRequested);
        }
        finally
        {
            // Refused or gone before it was registered (otherwise a no-op).
            listener.ConnectionSpoke(connection);
            // Ended only now, after the TLS layer sent its last bytes: the drain (and the process's exit) waits for them.
            if (connection.Registered) connection.Ended();
        }
    }
}
