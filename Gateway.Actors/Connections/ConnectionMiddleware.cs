using Akka.Actor;
using Gateway.Hosting;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Gateway.Connections;

/// <summary>
/// Last of a gateway listener's connection middleware, where the protocol is known (ALPN chose it on TLS; on
/// cleartext the first bytes say h2c or HTTP/1.1): the connection is handed to the actor tree — one
/// <see cref="ConnectionActor"/> each — and its end is reported once Kestrel is done with it.
/// </summary>
internal sealed class ConnectionMiddleware(ConnectionDelegate next, ListenerHandle listener, GatewayRuntime runtime)
{
    public async Task InvokeAsync(ConnectionContext context)
    {
        var cleartext = listener.Tls is null;
        // A connection beyond the listener's max-connections is closed at once (FIN, nothing read or sent). TLS
        // connections were admitted before their handshake, in TlsArrivalMiddleware. One middleware, not two: each
        // holds an async state per open connection.
        if (cleartext && !listener.TryAdmit())
            return;
        try
        {
            var connection = cleartext ? await ArriveAsync(context) : Decrypted(context);
            if (connection is null)
                return;
            var output = connection.Http2Output;
            try
            {
                await next(context);
            }
            finally
            {
                // Its last frames are sent first: the connection has not ended before they are.
                if (output is not null) await output.DisposeAsync();
                // A TLS connection ends in TlsArrivalMiddleware, outside the TLS layer.
                if (cleartext) connection.Ended();
            }
        }
        finally
        {
            if (cleartext) listener.Release();
        }
    }

    /// <summary>Cleartext: the connection arrives here, and says which protocol it speaks with its first bytes.</summary>
    private async Task<KestrelConnection?> ArriveAsync(ConnectionContext context)
    {
        var connection = KestrelConnection.Arrive(context, listener);
        try
        {
            using var sniffTimeout = CancellationTokenSource.CreateLinkedTokenSource(connection.CloseRequested);
            // A silent connection gets what Kestrel gives a slow request head: the header timeout.
            sniffTimeout.CancelAfter(listener.Limits.HeaderTimeout);
            var protocol = await CleartextHttp2Detection.DetectAsync(context, sniffTimeout.Token);
            if (protocol == CleartextHttp2Detection.ClientProtocol.None)
                return null;
            connection.IsHttp2 = protocol == CleartextHttp2Detection.ClientProtocol.Http2;
            Register(context, connection);
            return connection;
        }
        finally
        {
            listener.ConnectionSpoke(connection);
        }
    }

    /// <summary>TLS: arrived before the handshake; decrypted now, ALPN chose the protocol and there is no preface to sniff.</summary>
    private KestrelConnection? Decrypted(ConnectionContext context)
    {
        var connection = (KestrelConnection)context.Items[KestrelConnection.ArrivingKey]!;
        var negotiated = context.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? ReadOnlyMemory<byte>.Empty;
        if (!Tls.TlsConnectionGuard.Admit(context, negotiated.Span))
            return null;
        connection.IsHttp2 = negotiated.Span.SequenceEqual("h2"u8);
        Register(context, connection);
        listener.ConnectionSpoke(connection);
        return connection;
    }

    /// <summary>Hands the connection to the actor tree; from here on its requests are the gateway's.</summary>
    private void Register(ConnectionContext context, KestrelConnection connection)
    {
        context.Items[KestrelConnection.ItemsKey] = connection;
        // Before the actor exists: a drain that reaches it at once sends its first GOAWAY through this output.
        if (connection.IsHttp2) connection.Http2Output = CoalescingOutput.Install(context, runtime.Settings.Drain.GoAwayAckTimeout);
        connection.ArrivedGoingAway = listener.GoingAway;
        connection.Registered = true;
        listener.Counters.ConnectionOpened();
        runtime.Supervisor.Tell(new GatewaySupervisor.ConnectionAccepted(listener.Name, connection));
        listener.ConnectionRegistered();
    }
}
