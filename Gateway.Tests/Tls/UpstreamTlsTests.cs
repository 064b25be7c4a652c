using System.Net;
using Gateway.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gateway.Tests.Tls;

/// <summary>https:// upstreams: a private CA, mutual TLS, and verification that cannot be skipped by accident.</summary>
public sealed class UpstreamTlsTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static string Config(int port, string tls, string host = "localhost") => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.secure { endpoints = ["https://{{host}}:{{port}}"], tls { {{tls}} } }
          routes.app { listener = public, path-prefix = "/", upstream = secure }
        }
        """;

    [Fact]
    public async Task An_https_upstream_with_a_private_ca_is_reached_and_verified()
    {
        var server = _pki.Issue("upstream", ["localhost"]);
        await using var upstream = await TlsUpstream.StartAsync(_pki, server);
        await using var gateway = await InProcessGateway.StartAsync(Config(upstream.Port, $"ca = \"{_pki.CaFile}\""));
        using var client = new HttpClient();

        var response = await client.GetAsync(new Uri(gateway.Listener(), "/hello"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("hello over HTTP/", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Mutual_tls_presents_the_client_certificate_the_upstream_requires()
    {
        var server = _pki.Issue("upstream", ["localhost"]);
        var clientCertificate = _pki.Issue("gateway-client", [], client: true);
        var (clientCert, clientKey) = _pki.Write(clientCertificate, "client");
        await using var upstream = await TlsUpstream.StartAsync(_pki, server, requireClientCertificate: true);
        await using var gateway = await InProcessGateway.StartAsync(Config(upstream.Port,
            $"ca = \"{_pki.CaFile}\", client-certificate = \"{clientCert}\", client-key = \"{clientKey}\""));
        using var client = new HttpClient();

        var body = await client.GetStringAsync(new Uri(gateway.Listener(), "/hello"));
        Assert.Contains("client CN=gateway-client", body);
    }

    [Fact]
    public async Task Without_the_ca_or_with_the_wrong_name_the_upstream_is_refused_with_502_and_verify_off_is_a_choice()
    {
        var server = _pki.Issue("upstream", ["localhost"]);
        await using var upstream = await TlsUpstream.StartAsync(_pki, server);
        using var client = new HttpClient();

        await using (var untrusted = await InProcessGateway.StartAsync(Config(upstream.Port, "verify = on")))
            Assert.Equal(HttpStatusCode.BadGateway, (await client.GetAsync(new Uri(untrusted.Listener(), "/hello"))).StatusCode);
        // The certificate is for localhost, the endpoint is an IP address: the name check fails though the CA is trusted.
        await using (var wrongName = await InProcessGateway.StartAsync(Config(upstream.Port, $"ca = \"{_pki.CaFile}\"", "127.0.0.1")))
            Assert.Equal(HttpStatusCode.BadGateway, (await client.GetAsync(new Uri(wrongName.Listener(), "/hello"))).StatusCode);
        var log = new CapturedLog();
        var unverified = Gateway.Host.GatewayApplication.Create(Gateway.Configuration.GatewayConfigLoader.Parse(Config(upstream.Port, "verify = off"), "test.conf"),
            logging => logging.AddProvider(log));
        await unverified.App.StartAsync();
        try
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{unverified.Runtime.Listeners.All.Single().Address}/hello")).StatusCode);
            Assert.Contains(log.Lines, l => l.StartsWith("Warning") && l.Contains("Upstream secure: TLS certificate verification is OFF"));
        }
        finally
        {
            await unverified.App.StopAsync();
            await unverified.App.DisposeAsync();
        }
    }
}
