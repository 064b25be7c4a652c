using Gateway.Configuration;
using Gateway.Connections;
using Gateway.Listeners;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Gateway.Hosting;

/// <summary>The Kestrel side of the gateway: the server's options, and each listener's socket with its connection pipeline.</summary>
internal static class GatewayKestrel
{
    /// <summary>Every http listener and the admin socket of <paramref name="runtime"/> (a tcp listener's socket is never Kestrel's: TcpRelay accepts on it).</summary>
    public static void Configure(KestrelServerOptions kestrel, GatewayRuntime runtime)
    {
        ConfigureServer(kestrel, runtime.Settings.Limits);
        foreach (var listener in runtime.Listeners.All.Where(l => l.Protocol == ListenerProtocol.Http))
            Listen(kestrel, runtime, listener);
        kestrel.ListenHandle(runtime.Listeners.Admin.FileHandle);
    }

    public static void ConfigureServer(KestrelServerOptions kestrel, LimitSettings limits)
    {
        kestrel.AddServerHeader = false;
        // h2c connections carry the client's :scheme (http); see CleartextHttp2Detection.
        kestrel.AllowAlternateSchemes = true;
        // Content-Length must be digits, and the headers a Connection header names must be seen (see there).
        kestrel.RequestHeaderEncodingSelector = RequestHeaderReading.Select;
        ServerLimits.Apply(kestrel.Limits, limits);
    }

    /// <summary>
    /// Serves one gateway listener's socket: HTTP/1.1 and h2c, or TLS with ALPN (h2, http/1.1); one ConnectionActor
    /// per connection; the listener's connection limit is taken first. On a TLS listener the order is: the limit and
    /// the arrival, the guard (raw bytes: plain HTTP turned away, refusals counted), Kestrel's HTTPS (certificate
    /// chosen by SNI), then the gateway's middleware on the decrypted connection, where ALPN has already chosen the
    /// protocol.
    /// </summary>
    public static void Listen(KestrelServerOptions kestrel, GatewayRuntime runtime, ListenerHandle listener)
    {
        listener.TrackConnections();
        kestrel.ListenHandle(listener.FileHandle, options =>
        {
            options.Protocols = HttpProtocols.Http1AndHttp2;
            if (listener.Tls is { } certificates)
            {
                options.Use(next => new TlsArrivalMiddleware(next, listener).InvokeAsync);
                options.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificateSelector = certificates.Select,
                    SslProtocols = certificates.Settings.Protocols,
                    ClientCertificateMode = ClientCertificateMode.NoCertificate,
                    HandshakeTimeout = TimeSpan.FromSeconds(10),
                    OnAuthenticate = (context, ssl) => Tls.TlsConnectionGuard.ChooseCertificate(certificates, context, ssl),
                });
            }
            options.Use(next => new ConnectionMiddleware(next, listener, runtime).InvokeAsync);
        });
    }
}
