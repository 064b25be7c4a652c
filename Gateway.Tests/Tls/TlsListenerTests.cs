using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Tls;

/// <summary>TLS listeners on real Kestrel: ALPN, SNI, and connections that never get through the handshake.</summary>
public sealed class TlsListenerTests : TlsTestBase
{
    private string Config(string tls) => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0", tls { {{tls}} } }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{Upstream.Endpoint}}"] }
          routes.app { listener = public, path-prefix = "/", upstream = app }
        }
        """;

    private static IPEndPoint Endpoint(InProcessGateway gateway) => gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "public").Address;

    [Theory]
    [InlineData("1.1")]
    [InlineData("2.0")]
    public async Task Https_get_and_post_are_proxied_with_the_protocol_alpn_chose(string version)
    {
        var (certificate, cert, key) = Pki.Server("default");
        await using var gateway = await InProcessGateway.StartAsync(Config($"certificate = \"{cert}\", key = \"{key}\""));
        using var client = new TlsClient(Pki.Ca, Endpoint(gateway), Version.Parse(version));

        var get = await client.Http.GetAsync("https://localhost/hello");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(Version.Parse(version), get.Version);
        Assert.Equal("hello from upstream", await get.Content.ReadAsStringAsync());

        var post = await client.Http.PostAsync("https://localhost/echo", new StringContent("payload over tls", Encoding.UTF8, "text/plain"));
        Assert.Equal("payload over tls", await post.Content.ReadAsStringAsync());
        Assert.Equal([certificate.SerialNumber], client.Serials);
    }

    [Fact]
    public async Task Sni_picks_the_certificate_for_the_name_and_an_unknown_name_gets_the_default()
    {
        var (defaultCertificate, cert, key) = Pki.Server("default", "localhost");
        var (api, apiCert, apiKey) = Pki.Server("api", "api.example.test");
        var (wild, wildCert, wildKey) = Pki.Server("wild", "*.apps.example.test");
        await using var gateway = await InProcessGateway.StartAsync(Config($$"""
            certificate = "{{cert}}", key = "{{key}}"
            sni {
              "api.example.test" { certificate = "{{apiCert}}", key = "{{apiKey}}" }
              "*.apps.example.test" { certificate = "{{wildCert}}", key = "{{wildKey}}" }
            }
            """));
        var endpoint = Endpoint(gateway);

        foreach (var (host, expected) in new[] { ("api.example.test", api), ("one.apps.example.test", wild), ("localhost", defaultCertificate) })
        {
            using var client = new TlsClient(Pki.Ca, endpoint);
            var response = await client.Http.GetAsync($"https://{host}/hello");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal([expected.SerialNumber], client.Serials);
        }
        var (serial, _) = await TlsClient.HandshakeAsync(endpoint, "other.example.test", ["http/1.1"], Pki.Ca);
        Assert.Equal(defaultCertificate.SerialNumber, serial);
    }

    [Fact]
    public async Task Intermediates_in_the_certificate_file_are_sent_so_a_client_trusting_only_the_root_accepts()
    {
        using var intermediate = Pki.Intermediate("Gateway Test Intermediate");
        var leaf = Pki.Issue("chained", ["localhost"], issuer: intermediate);
        var (cert, key) = Pki.Write(leaf, "chained");
        File.AppendAllText(cert, "\n" + intermediate.ExportCertificatePem() + "\n");
        await using var gateway = await InProcessGateway.StartAsync(Config($"certificate = \"{cert}\", key = \"{key}\""));

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(Endpoint(gateway));
        await using var tls = new System.Net.Security.SslStream(tcp.GetStream());
        var sent = new List<string>();
        var trusted = false;
        await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                sent.AddRange(chain!.ChainPolicy.ExtraStore.Select(c => c.Subject));
                using var own = new System.Security.Cryptography.X509Certificates.X509Chain();
                own.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                own.ChainPolicy.CustomTrustStore.Add(Pki.Ca);
                own.ChainPolicy.ExtraStore.AddRange(chain.ChainPolicy.ExtraStore);
                own.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                trusted = own.Build((System.Security.Cryptography.X509Certificates.X509Certificate2)certificate!);
                return trusted;
            },
        });
        Assert.Contains("CN=Gateway Test Intermediate", sent);
        Assert.True(trusted);
        Assert.Equal(leaf.SerialNumber, ((System.Security.Cryptography.X509Certificates.X509Certificate2)tls.RemoteCertificate!).SerialNumber);
    }

    [Fact]
    public async Task Plain_http_an_unknown_name_and_no_shared_protocol_are_each_closed_cleanly_and_counted()
    {
        var (_, cert, key) = Pki.Server("default", "localhost");
        await using var gateway = await InProcessGateway.StartAsync(Config($"certificate = \"{cert}\", key = \"{key}\", unknown-sni = refuse"));
        var endpoint = Endpoint(gateway);
        var listener = gateway.Gateway.Runtime.Listeners.All.Single();

        // Plain HTTP: a 400 that says why, then the connection closes.
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(endpoint);
            var stream = raw.GetStream();
            await stream.WriteAsync("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
            var answer = await new StreamReader(stream).ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.StartsWith("HTTP/1.1 400", answer);
            Assert.Contains("HTTPS", answer);
        }
        await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.HandshakeAsync(endpoint, "unknown.example.test", ["http/1.1"], Pki.Ca));
        try
        {
            var (_, alpn) = await TlsClient.HandshakeAsync(endpoint, "localhost", ["spdy/3"], Pki.Ca);
            // Some TLS stacks complete the handshake without a protocol: the gateway closes it instead.
            Assert.Equal("", alpn);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
        }

        await Wait.UntilAsync(() =>
            listener.Counters.TlsRefused(Gateway.Tls.TlsRefusal.PlainHttp) == 1
            && listener.Counters.TlsRefused(Gateway.Tls.TlsRefusal.UnknownSni) == 1
            && listener.Counters.TlsRefused(Gateway.Tls.TlsRefusal.NoSharedProtocol) == 1);
        Assert.Equal(0, listener.Counters.AcceptedConnections);

        // The listener still serves after all that, and the admin API shows the counts.
        using var client = new TlsClient(Pki.Ca, endpoint);
        Assert.Equal("hello from upstream", await client.Http.GetStringAsync("https://localhost/hello"));
        using var admin = new HttpClient();
        var metrics = await admin.GetStringAsync(new Uri(gateway.Admin, "/metrics"));
        Assert.Contains("gateway_tls_refused_total{listener=\"public\",reason=\"plain-http\"} 1", metrics);
        Assert.Contains("gateway_tls_refused_total{listener=\"public\",reason=\"unknown-sni\"} 1", metrics);
        Assert.Contains("gateway_tls_refused_total{listener=\"public\",reason=\"no-shared-protocol\"} 1", metrics);
        Assert.Contains("gateway_tls_certificate_expiry_days{listener=\"public\",certificate=\"default\"} 89.9", metrics);
    }
}
