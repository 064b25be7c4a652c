using System.Net.Security;
using System.Text;
using Gateway.Listeners;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Tls;

/// <summary>
/// Kestrel connection middleware in front of TLS: peeks at the ClientHello, turns a plain HTTP request away with a
/// 400 and a clean close, and counts every connection that did not get through the handshake, with its reason.
/// Kestrel's own HTTPS middleware (which runs next) logs nothing useful at the gateway's level and never throws.
/// </summary>
internal static class TlsConnectionGuard
{
    /// <summary>The application protocols a TLS listener offers (Kestrel's ALPN list for HTTP/1.1 and HTTP/2).</summary>
    public static readonly string[] Spoken = ["h2", "http/1.1"];

    private static readonly byte[] PlainHttpAnswer = Encoding.ASCII.GetBytes(
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 50\r\n\r\n" +
        "400 Bad Request: this port speaks HTTPS (TLS) only\n");

    /// <summary>How long a new connection may take to send its ClientHello.</summary>
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);

    /// <param name="closeRequested">The unbind closes a connection still silent after its grace: the wait ends then.</param>
    public static async Task GuardAsync(ListenerHandle listener, ConnectionContext context, ConnectionDelegate next, CancellationToken closeRequested)
    {
        TlsClientHello? hello;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(closeRequested))
        {
            timeout.CancelAfter(HelloTimeout);
            hello = await TlsClientHello.PeekAsync(context.Transport.Input, timeout.Token);
        }
        // Gone (or silent for HelloTimeout) before saying anything: a TCP health check looks like this, not counted.
        if (hello is null)
            return;
        if (!hello.IsTls)
        {
            listener.Counters.TlsRefusal(TlsRefusal.PlainHttp);
            try
            {
                await context.Transport.Output.WriteAsync(PlainHttpAnswer);
            }
            catch (Exception e) when (e is IOException or ConnectionResetException or ObjectDisposedException or InvalidOperationException)
            {
                // The client is gone already: nothing to answer.
            }
            return;
        }

        var state = new TlsHandshakeState(hello);
        state.AttachTo(context);
        await next(context);
        if (!state.Established || state.Refusal is not null)
            listener.Counters.TlsRefusal(state.Refusal ?? (hello.OffersNoneOf(Spoken) ? TlsRefusal.NoSharedProtocol : TlsRefusal.HandshakeFailed));
    }

    /// <summary>
    /// Runs just before the handshake (Kestrel's <c>OnAuthenticate</c>): when the guard read the whole ClientHello,
    /// the certificate is chosen here from its SNI name, as a prebuilt context that sends the intermediates too;
    /// otherwise Kestrel's selector chooses during the handshake, with the same rules.
    /// </summary>
    public static void ChooseCertificate(CertificateStore certificates, ConnectionContext context, SslServerAuthenticationOptions ssl)
    {
        if (TlsHandshakeState.Of(context) is not { Hello.Read: true } state) return;
        if (certificates.SelectContext(context, state.Hello.ServerName) is not { } chosen) return; // the selector refuses it again
        ssl.ServerCertificateSelectionCallback = null;
        ssl.ServerCertificate = null;
        ssl.ServerCertificateContext = chosen;
    }

    /// <summary>
    /// Runs after the handshake: false (and the connection closes) when the client offered ALPN but nothing the
    /// gateway speaks and the TLS stack let it through without a protocol.
    /// </summary>
    public static bool Admit(ConnectionContext context, ReadOnlySpan<byte> negotiated)
    {
        if (TlsHandshakeState.Of(context) is not { } state) return true;
        if (negotiated.IsEmpty && state.Hello.OffersNoneOf(Spoken))
        {
            state.Refuse(TlsRefusal.NoSharedProtocol);
            return false;
        }
        state.Established = true;
        return true;
    }
}
