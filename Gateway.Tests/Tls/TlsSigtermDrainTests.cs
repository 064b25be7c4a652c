using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Tls;

/// <summary>The built Gateway.Host with a TLS listener, stopped by SIGTERM: TLS connections drain like plain ones.</summary>
public sealed class TlsSigtermDrainTests(ITestOutputHelper output) : TlsTestBase
{
    [Fact]
    public async Task Sigterm_finishes_in_flight_https_requests_and_closes_idle_tls_connections_cleanly()
    {
        var (_, cert, key) = Pki.Server("server", "localhost");
        await using var gateway = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0", tls { certificate = "{{cert}}", key = "{{key}}" } }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{Upstream.Endpoint}}"], response-timeout = 120s }
              routes.app  { listener = public, path-prefix = "/", upstream = app }
              routes.idle { listener = public, path-prefix = "/idle", direct-response { status = 200, body = "idle" } }
              drain { announce = 0s, deadline = 25s }
            }
            """);
        var addresses = await gateway.WaitUntilReadyAsync();
        var endpoint = addresses["public"];
        Assert.Contains($"Listener public listening on https://{endpoint}", gateway.OutputText);
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}"), Timeout = TimeSpan.FromSeconds(10) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var idle = new List<SslStream>();
        for (var i = 0; i < 5; i++)
            idle.Add(await OpenIdleAsync(endpoint, timeout.Token));
        var http1 = Enumerable.Range(0, 5).Select(_ => new TlsClient(Pki.Ca, endpoint, HttpVersion.Version11)).ToList();
        using var http2 = new TlsClient(Pki.Ca, endpoint, HttpVersion.Version20);
        var inFlight = http1.Select(c => c.Http)
            .Concat(Enumerable.Repeat(http2.Http, 5))
            .Select(async client =>
            {
                var response = await client.GetAsync("https://localhost/slow?ms=1500", timeout.Token);
                return (response, body: await response.Content.ReadAsStringAsync(timeout.Token));
            }).ToList();
        await Wait.UntilAsync(async () => (await admin.GetStringAsync("/drain", timeout.Token)).Contains("\"inFlight\":10"), timeout.Token);

        gateway.Signal(GatewayProcess.SigTerm);

        foreach (var connection in idle)
            Assert.Equal(0, await connection.ReadAsync(new byte[1], timeout.Token)); // a clean close, not a reset
        foreach (var (response, body) in await Task.WhenAll(inFlight))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("slow 1500ms from upstream", body);
        }
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        output.WriteLine(gateway.OutputText);
        // 5 idle + 5 HTTP/1.1 + 1 HTTP/2 connection, all TLS.
        Assert.Contains("Drain finished: Completed (completed=11 forced=0 crashed=0)", gateway.OutputText);
        idle.ForEach(c => c.Dispose());
        http1.ForEach(c => c.Dispose());
    }

    /// <summary>A TLS connection that did one request and then stays open, idle.</summary>
    private async Task<SslStream> OpenIdleAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint, cancellationToken);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, c, _, e) => TlsClient.Trusts(Pki.Ca, (System.Security.Cryptography.X509Certificates.X509Certificate2)c!, e),
        }, cancellationToken);
        await tls.WriteAsync("GET /idle HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray(), cancellationToken);
        var received = new StringBuilder();
        var buffer = new byte[1024];
        while (!received.ToString().EndsWith("idle", StringComparison.Ordinal))
        {
            var n = await tls.ReadAsync(buffer, cancellationToken);
            if (n == 0) throw new IOException("closed before the response");
            received.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        Assert.StartsWith("HTTP/1.1 200", received.ToString());
        return tls;
    }
}
