using System.Net;
using System.Text;
using Gateway.Tests.Support;
using Gateway.Tests.Tls;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Routing;

/// <summary>
/// HTTP/1.1 ↔ HTTP/2 translation toward an HTTP/2 upstream (https, ALPN h2): no connection-specific header reaches it,
/// an HTTP/2 client's <c>TE: trailers</c> does (gRPC needs it), and Via names the version each hop received.
/// </summary>
public sealed class Http2UpstreamHeadersTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private TlsUpstream _upstream = null!;
    private InProcessGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await TlsUpstream.StartAsync(_pki, _pki.Issue("upstream", ["localhost"]));
        _gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              via-name = gw-test
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.h2 { endpoints = ["https://localhost:{{_upstream.Port}}"], tls.ca = "{{_pki.CaFile}}" }
              routes.h2    { listener = public, path-prefix = "/", upstream = h2 }
            }
            """);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        _pki.Dispose();
    }

    /// <summary>
    /// The upstream's view: its request headers, one "name: value" line each (HTTP/2 carries names in lower case;
    /// Kestrel spells the ones it knows its own way), and the protocol it was spoken in.
    /// </summary>
    private static string[] Seen(string body) => body.Split('\n');

    [Fact]
    public async Task An_HTTP2_clients_TE_trailers_reaches_an_HTTP2_upstream_and_nothing_connection_specific_does()
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_gateway.Listener(), "/headers"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TE.ParseAdd("trailers");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "6.6.6.6");
        using var response = await client.SendAsync(request);
        var seen = Seen(await response.Content.ReadAsStringAsync());
        output.WriteLine(string.Join('\n', seen));

        Assert.Equal(["2 gw-test"], response.Headers.Via.Select(v => v.ToString()));
        Assert.Equal(
            [$"Host: localhost:{_upstream.Port}", "TE: trailers", "Via: 2 gw-test", "x-forwarded-for: 127.0.0.1",
             $"x-forwarded-host: {_gateway.Listener().Authority}", "x-forwarded-proto: http", "protocol: HTTP/2"],
            seen);
    }

    [Fact]
    public async Task An_HTTP1_clients_hop_by_hop_headers_never_reach_an_HTTP2_upstream()
    {
        var reply = await HostileClient.ExchangeAsync(IPEndPoint.Parse(_gateway.Listener().Authority), Encoding.ASCII.GetBytes(
            "GET /headers HTTP/1.1\r\nHost: gateway.test\r\nConnection: keep-alive, X-Secret\r\nKeep-Alive: timeout=5\r\nX-Secret: s\r\n"
            + "TE: trailers\r\nProxy-Connection: keep-alive\r\nUpgrade-Insecure-Requests: 1\r\nX-Kept: 1\r\n\r\n"), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500));
        output.WriteLine(reply.Text);

        Assert.Equal(200, reply.Status);
        Assert.Contains("Via: 2 gw-test\r\n", reply.Text);
        var body = reply.Text[(reply.Text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        // The body is chunked: its one chunk holds the upstream's lines.
        var seen = Seen(body.Split("\r\n")[1]);
        Assert.Equal(
            [$"Host: localhost:{_upstream.Port}", "Via: 1.1 gw-test", "x-forwarded-for: 127.0.0.1", "x-forwarded-host: gateway.test",
             "x-forwarded-proto: http", "x-kept: 1", "protocol: HTTP/2"],
            seen);
    }
}
