using Gateway.Listeners;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Connections;

/// <summary>
/// First on every gateway listener, before a TLS handshake or a byte is read: a connection beyond the listener's
/// <c>max-connections</c> is closed at once (FIN, nothing sent), so one over the limit costs nothing more.
/// </summary>
internal sealed class ConnectionLimitMiddleware(ConnectionDelegate next, ListenerHandle listener)
{
    public async Task InvokeAsync(ConnectionContext context)
    {
        if (!listener.TryAdmit())
            return;
        try
        {
            await next(context);
        }
        finally
        {
            listener.Release();
        }
    }
}
