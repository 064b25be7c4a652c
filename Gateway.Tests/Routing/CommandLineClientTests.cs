using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Routing;

/// <summary>
/// The same header and target rules with the clients users run, curl (HTTP/1.1 and HTTP/2 with prior knowledge) and
/// nghttp, against a raw-socket upstream that records what arrived.
/// </summary>
public sealed class CommandLineClientTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly RecordingUpstream _upstream = RecordingUpstream.Start();
    private InProcessGateway _gateway = null!;

    public async Task InitializeAsync() => _gateway = await InProcessGateway.StartAsync($$"""
        gateway {
          via-name = gw-test
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
          routes.app    { listener = public, path-prefix = "/", upstream = app }
        }
        """);

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private string Url(string target) => $"http://{_gateway.Listener().Authority}{target}";

    private async Task<(Tool.Result Client, RecordedRequest Received)> RunAsync(string tool, params string[] args)
    {
        var result = await Tool.RunAsync(tool, Limit, args);
        output.WriteLine(result.ToString());
        Assert.Equal(0, result.ExitCode);
        var received = await _upstream.NextAsync();
        output.WriteLine(received.ToString());
        return (result, received);
    }

    [CurlFact]
    public async Task Curl_over_HTTP1_sees_its_target_unchanged_and_no_forged_or_connection_named_header_passes()
    {
        var (curl, received) = await RunAsync("curl", "-sS", "-i", "--path-as-is",
            "-H", "X-Forwarded-For: 6.6.6.6", "-H", "Forwarded: for=6.6.6.6", "-H", "Connection: keep-alive, X-Secret", "-H", "X-Secret: s",
            Url("/api/a%2Fb/%FF/%25/x;y/../z?q=%2F&r=%ZZ"));

        Assert.Contains("HTTP/1.1 200 OK", curl.Output);
        Assert.Contains("Via: 1.1 gw-test", curl.Output);
        Assert.Equal("GET /api/a%2Fb/%FF/%25/z?q=%2F&r=%ZZ HTTP/1.1", received.RequestLine);
        Assert.Equal("127.0.0.1", received.Header("X-Forwarded-For"));
        Assert.Equal("1.1 gw-test", received.Header("Via"));
        Assert.False(received.Has("X-Secret"));
        Assert.False(received.Has("Forwarded"));
        Assert.StartsWith("curl/", received.Header("User-Agent"));
    }

    [CurlFact]
    public async Task Curl_over_HTTP2_sees_the_same()
    {
        var (curl, received) = await RunAsync("curl", "-sS", "-i", "--path-as-is", "--http2-prior-knowledge",
            "-H", "X-Forwarded-For: 6.6.6.6", "-H", "X-Real-IP: 6.6.6.6", Url("/api/a%2Fb/%FF/%25?q=%2F"));

        Assert.Contains("HTTP/2 200", curl.Output);
        Assert.Contains("via: 1.1 gw-test", curl.Output);
        Assert.Equal("GET /api/a%2Fb/%FF/%25?q=%2F HTTP/1.1", received.RequestLine);
        Assert.Equal("127.0.0.1", received.Header("X-Forwarded-For"));
        Assert.Equal("2 gw-test", received.Header("Via"));
        Assert.False(received.Has("X-Real-IP"));
    }

    [NghttpFact]
    public async Task Nghttp_over_HTTP2_sees_the_same_and_its_cookie_crumbs_reach_an_HTTP1_upstream_as_one_header()
    {
        var (_, received) = await RunAsync("nghttp", "-n", "-H", "x-forwarded-for: 6.6.6.6", "-H", "x-forwarded-host: evil.test",
            "-H", "cookie: a=1", "-H", "cookie: b=2", Url("/api/n%2Fg/%FF"));

        Assert.Equal("GET /api/n%2Fg/%FF HTTP/1.1", received.RequestLine);
        Assert.Equal("127.0.0.1", received.Header("X-Forwarded-For"));
        Assert.Equal(_gateway.Listener().Authority, received.Header("X-Forwarded-Host"));
        Assert.Equal("2 gw-test", received.Header("Via"));
        // RFC 9113 §8.2.3: an HTTP/2 client may split cookies; on HTTP/1.1 they are one header, joined with "; ".
        Assert.Equal("a=1; b=2", received.Header("Cookie"));
    }
}
