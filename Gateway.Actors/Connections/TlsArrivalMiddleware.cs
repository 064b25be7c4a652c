using Gateway.Listeners;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Connections;

/// <summary>
/// First on a TLS listener, before the handshake: a connection beyond the listener's <c>max-connections</c> is closed at
/// once (FIN, nothing read or sent); an admitted one arrives here, so that the unbind accounts for it: it stays
/// "silent" until it reaches the actor tree (after the handshake, in <see cref="ConnectionMiddleware"/>) or closes, and
/// a drain waits for handshakes under way. In front of it, the TLS guard turns plain HTTP away and counts refusals.
/// </summary>
internal sealed class TlsArrivalMiddleware(ConnectionDelegate next, ListenerHandle listener)
{
    public async Task InvokeAsync(ConnectionContext context)
    {
        if (!listener.TryAdmit())
            return;
        var connection = KestrelConnection.Arrive(context, listener);
        try
        {
            context.Items[KestrelConnection.ArrivingKey] = connection;
            await Tls.TlsConnectionGuard.GuardAsync(listener, context, next, connection.CloseRequested);
        }
        finally
        {
            // Refused or gone before it was registered (otherwise a no-op).
            listener.ConnectionSpoke(connection);
            // Ended only now, after the TLS layer sent its last bytes: the drain (and the process's exit) waits for them.
            if (connection.Registered) connection.Ended();
            listener.Release();
        }
    }
}
