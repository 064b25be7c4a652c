using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tests.Tls;

/// <summary>An HttpClient that trusts only the test CA, connects to one address whatever the URI's host (for SNI), and records the serials it was shown.</summary>
public sealed class TlsClient : IDisposable
{
    private readonly List<string> _serials = [];

    public TlsClient(X509Certificate2 ca, IPEndPoint connectTo, Version? version = null)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(connectTo, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is not X509Certificate2 presented) return false;
                    lock (_serials) _serials.Add(presented.SerialNumber);
                    return Trusts(ca, presented, errors);
                },
            },
        };
        Http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        if (version is not null)
        {
            Http.DefaultRequestVersion = version;
            Http.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
    }

    public HttpClient Http { get; }

    /// <summary>The serial of every server certificate seen, one per TLS handshake, in order.</summary>
    public IReadOnlyList<string> Serials
    {
        get
        {
            lock (_serials) return _serials.ToList();
        }
    }

    public void Dispose() => Http.Dispose();

    /// <summary>Chain to the test CA only; the name must match (the TLS stack checks it against the URI's host).</summary>
    public static bool Trusts(X509Certificate2 ca, X509Certificate2 presented, SslPolicyErrors errors)
    {
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    /// <summary>One raw TLS handshake: the certificate's serial and the protocol ALPN chose, or the exception.</summary>
    public static async Task<(string Serial, string Alpn)> HandshakeAsync(IPEndPoint endpoint, string? serverName, string[] alpn, X509Certificate2 ca,
        System.Security.Authentication.SslProtocols protocols = System.Security.Authentication.SslProtocols.None)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint);
        await using var tls = new SslStream(tcp.GetStream());
        string? serial = null;
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName ?? "",
            EnabledSslProtocols = protocols,
            ApplicationProtocols = alpn.Select(p => new SslApplicationProtocol(p)).ToList(),
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            {
                serial = (certificate as X509Certificate2)?.SerialNumber;
                return true;
            },
        });
        return (serial!, tls.NegotiatedApplicationProtocol.ToString());
    }
}
