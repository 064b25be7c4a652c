using System.Net;
using System.Text.Json;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Tls;

/// <summary>What operators see of TLS (admin /config, /metrics), and the HTTP→HTTPS redirect route.</summary>
public sealed class TlsAdminAndRedirectTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task Config_shows_the_certificate_in_service_and_metrics_its_days_to_expiry_and_plain_http_is_redirected()
    {
        var (certificate, cert, key) = _pki.Server("server", "localhost", "127.0.0.1");
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.secure { address = "127.0.0.1:0", tls { certificate = "{{cert}}", key = "{{key}}", min-version = "1.3" } }
              listeners.plain  { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              routes.home { listener = secure, direct-response { status = 200, body = "secure" } }
              routes.up   { listener = plain, redirect-https = on, redirect-https-port = 8443 }
            }
            """);
        using var admin = new HttpClient { BaseAddress = gateway.Admin };

        using var config = JsonDocument.Parse(await admin.GetStringAsync("/config"));
        var served = config.RootElement.GetProperty("tls").GetProperty("secure").GetProperty("certificates")[0];
        Assert.Equal("default", served.GetProperty("name").GetString());
        Assert.Equal("CN=server", served.GetProperty("subject").GetString());
        Assert.Equal(certificate.SerialNumber, served.GetProperty("serial").GetString());
        Assert.Equal(["localhost", "127.0.0.1"], served.GetProperty("subjectAlternativeNames").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(certificate.NotAfter.ToUniversalTime(), served.GetProperty("notAfter").GetDateTimeOffset().UtcDateTime, TimeSpan.FromSeconds(1));
        Assert.InRange(served.GetProperty("daysToExpiry").GetDouble(), 89, 90);
        Assert.Contains("gateway_tls_certificate_expiry_days{listener=\"secure\",certificate=\"default\"} 89.9", await admin.GetStringAsync("/metrics"));

        var secure = gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "secure");
        using var client = new TlsClient(_pki.Ca, secure.Address);
        Assert.Equal("secure", await client.Http.GetStringAsync("https://localhost/"));
        // min-version = "1.3": a client that speaks only TLS 1.2 is refused, and counted.
        await Assert.ThrowsAnyAsync<Exception>(() => TlsClient.HandshakeAsync(secure.Address, "localhost", ["http/1.1"], _pki.Ca, System.Security.Authentication.SslProtocols.Tls12));
        await Wait.UntilAsync(() => secure.Counters.TlsRefused(Gateway.Tls.TlsRefusal.HandshakeFailed) == 1);

        using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var redirect = await plain.PostAsync(new Uri(gateway.Listener("plain"), "/a/b?x=1"), new StringContent("body"));
        Assert.Equal(HttpStatusCode.PermanentRedirect, redirect.StatusCode);
        Assert.Equal("https://127.0.0.1:8443/a/b?x=1", redirect.Headers.Location?.ToString());
    }
}
