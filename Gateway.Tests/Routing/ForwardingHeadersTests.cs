using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Routing;

/// <summary>
/// Every path an upstream request takes — plain, server-sent events with and without Accept, WebSocket over HTTP/1.1
/// and HTTP/2, an HTTP/2 request, a retry — is built by the one transform: a raw-socket upstream records exactly the
/// headers it received. A client's own forwarding headers never pass under <c>replace</c>; <c>append</c> keeps them
/// from a trusted peer only; headers named in Connection never pass, either way; Via names this hop.
/// </summary>
public sealed class ForwardingHeadersTests(ForwardingHeadersTests.Fixture gateway, ITestOutputHelper output) : IClassFixture<ForwardingHeadersTests.Fixture>
{
    /// <summary>What a hostile client adds to claim another address, scheme or host, and a header it wants kept to the first hop.</summary>
    private const string Spoofed =
        "X-Forwarded-For: 6.6.6.6\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.test\r\nX-Forwarded-Port: 443\r\n"
        + "X-Forwarded-Prefix: /evil\r\nX-Real-IP: 6.6.6.6\r\nForwarded: for=6.6.6.6;proto=https\r\n";

    /// <summary>What the upstream must see of a client on 127.0.0.1 that asked for Host gateway.test, under replace.</summary>
    private static readonly string[] Replaced = ["X-Forwarded-For: 127.0.0.1", "X-Forwarded-Host: gateway.test", "X-Forwarded-Proto: http"];

    public sealed class Fixture : IAsyncLifetime
    {
        public RecordingUpstream Upstream { get; private set; } = null!;
        public InProcessGateway Gateway { get; private set; } = null!;
        public IPEndPoint Endpoint { get; private set; } = null!;
        public int ClosedPort { get; private set; }

        public async Task InitializeAsync()
        {
            Upstream = RecordingUpstream.Start(request => request.Target switch
            {
                "/sse" => "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\nd\r\ndata: first\n\n\r\n0\r\n\r\n"u8.ToArray(),
                "/hop" => "HTTP/1.1 200 OK\r\nConnection: X-Hop, keep-alive\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nVia: 1.1 origin\r\nX-End: 1\r\nContent-Length: 2\r\n\r\nok"u8.ToArray(),
                "/ws-refused" => "HTTP/1.1 403 Forbidden\r\nX-Reason: no\r\nConnection: X-Hop\r\nX-Hop: 1\r\nContent-Length: 6\r\n\r\nrefuse"u8.ToArray(),
                _ => null,
            });
            ClosedPort = Ports.Closed();
            Gateway = await InProcessGateway.StartAsync($$"""
                gateway {
                  via-name = gw-test
                  listeners.public { address = "127.0.0.1:0" }
                  admin.address = "127.0.0.1:0"
                  upstreams.app   { endpoints = ["{{Upstream.Endpoint}}"] }
                  upstreams.retry { endpoints = ["127.0.0.1:{{ClosedPort}}", "{{Upstream.Endpoint}}"] }
                  routes.app      { listener = public, path-prefix = "/", upstream = app }
                  routes.retry    { listener = public, path-prefix = "/retry", upstream = retry }
                  routes.append   { listener = public, path-prefix = "/append", upstream = app, forwarded-headers = append }
                  routes.guarded  { listener = public, path-prefix = "/guarded", upstream = app, forwarded-headers = append, trusted-proxies = ["10.0.0.0/8", "fd00::/8"] }
                  routes.off      { listener = public, path-prefix = "/off", upstream = app, forwarded-headers = off }
                  routes.host     { listener = public, path-prefix = "/host", upstream = app, preserve-host = on }
                }
                """);
            Endpoint = IPEndPoint.Parse(Gateway.Listener().Authority);
        }

        public async Task DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }

    /// <summary>Sends a raw HTTP/1.1 request and returns the response head and what the upstream received for it.</summary>
    private async Task<(RawReply Reply, RecordedRequest Received)> ExchangeAsync(string request)
    {
        var reply = await HostileClient.ExchangeAsync(gateway.Endpoint, Encoding.Latin1.GetBytes(request), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500));
        output.WriteLine(reply.Text);
        var received = await gateway.Upstream.NextAsync();
        output.WriteLine("upstream received:\n" + received);
        return (reply, received);
    }

    /// <summary>Asserts the header lines the upstream received, in any order, less those whose value is random.</summary>
    private static void AssertHeaders(string[] expected, RecordedRequest received, params string[] leaveOut) =>
        Assert.Equal(expected.Order(StringComparer.Ordinal),
            received.Headers.Where(h => !leaveOut.Contains(h.Key, StringComparer.OrdinalIgnoreCase))
                .Select(h => $"{h.Key}: {h.Value}").Order(StringComparer.Ordinal));

    private string UpstreamHost => $"Host: {gateway.Upstream.Endpoint}";

    [Fact]
    public async Task A_plain_request_reaches_the_upstream_with_the_gateways_forwarding_headers_only()
    {
        var (reply, received) = await ExchangeAsync(
            "GET /plain HTTP/1.1\r\nHost: gateway.test\r\n" + Spoofed + "Via: 1.0 client-proxy\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nX-Kept: 1\r\n\r\n");

        Assert.Equal(200, reply.Status);
        AssertHeaders([UpstreamHost, "Via: 1.0 client-proxy, 1.1 gw-test", "X-Kept: 1", .. Replaced], received);
    }

    [Theory]
    [InlineData("keep-alive, X-Secret, X-Other")]
    [InlineData("X-Secret , close ,X-Other")]
    [InlineData("x-secret, X-OTHER")]
    [InlineData("close\r\nConnection: X-Secret, X-Other")]
    [InlineData("TE, X-Secret, X-Other\r\nTE: trailers")]
    [InlineData("X-Secret, Content-Type, X-Other")]
    [InlineData("X-Secret, X-Forwarded-For, Via, Host, X-Other")]
    public async Task Every_header_the_Connection_header_names_stays_on_the_first_hop(string connection)
    {
        var (reply, received) = await ExchangeAsync(
            $"GET /plain HTTP/1.1\r\nHost: gateway.test\r\nX-Secret: s\r\nX-Other: o\r\nConnection: {connection}\r\nX-Kept: 1\r\n\r\n");

        Assert.Equal(200, reply.Status);
        AssertHeaders([UpstreamHost, "Via: 1.1 gw-test", "X-Kept: 1", .. Replaced], received);
    }

    [Fact]
    public async Task An_event_stream_request_with_Accept_gets_the_same_headers_and_its_stream()
    {
        var (reply, received) = await ExchangeAsync(
            "GET /sse HTTP/1.1\r\nHost: gateway.test\r\nAccept: text/event-stream\r\n" + Spoofed + "Connection: X-Secret\r\nX-Secret: s\r\n\r\n");

        Assert.Equal(200, reply.Status);
        Assert.Contains("data: first\n\n", reply.Text);
        AssertHeaders(["Accept: text/event-stream", UpstreamHost, "Via: 1.1 gw-test", .. Replaced], received);
    }

    [Fact]
    public async Task An_event_stream_without_Accept_is_relayed_as_a_stream_with_the_same_headers()
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.Gateway.Listener(), "/sse"));
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "6.6.6.6");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var received = await gateway.Upstream.NextAsync();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("data: first\n\n", await response.Content.ReadAsStringAsync());
        AssertHeaders([$"Host: {gateway.Upstream.Endpoint}", "Via: 1.1 gw-test", "X-Forwarded-For: 127.0.0.1", $"X-Forwarded-Host: {gateway.Gateway.Listener().Authority}", "X-Forwarded-Proto: http"], received);
    }

    [Fact]
    public async Task A_WebSocket_handshake_over_HTTP1_is_built_by_the_same_transform()
    {
        var (reply, received) = await ExchangeAsync(
            "GET /ws HTTP/1.1\r\nHost: gateway.test\r\nUpgrade: websocket\r\nConnection: Upgrade, X-Secret\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
            + Spoofed + "X-Secret: s\r\nX-Kept: 1\r\n\r\n");

        Assert.Equal(101, reply.Status);
        // The client's handshake is answered by the gateway (the key is the client's); the upstream's own headers pass.
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", reply.Text);
        Assert.Contains("Sec-WebSocket-Protocol: chat\r\n", reply.Text);
        Assert.Contains("X-Upstream-Handshake: 1\r\n", reply.Text);
        Assert.Contains("Via: 1.1 gw-test\r\n", reply.Text);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", reply.Text);
        Assert.Equal("GET /ws HTTP/1.1", received.RequestLine);
        Assert.Matches("^[A-Za-z0-9+/]{22}==$", received.Header("Sec-WebSocket-Key"));
        Assert.NotEqual("dGhlIHNhbXBsZSBub25jZQ==", received.Header("Sec-WebSocket-Key"));
        AssertHeaders(
            ["Connection: Upgrade", UpstreamHost, "Sec-WebSocket-Protocol: chat, superchat", "Sec-WebSocket-Version: 13", "Upgrade: websocket", "Via: 1.1 gw-test", "X-Kept: 1", .. Replaced],
            received, "Sec-WebSocket-Key");
    }

    [Fact]
    public async Task A_WebSocket_the_upstream_turns_down_gets_the_upstreams_answer_through_the_same_transform()
    {
        var (reply, _) = await ExchangeAsync(
            "GET /ws-refused HTTP/1.1\r\nHost: gateway.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            + "Sec-WebSocket-Version: 13\r\n\r\n");

        Assert.Equal(403, reply.Status);
        Assert.Contains("X-Reason: no\r\n", reply.Text);
        Assert.Contains("Via: 1.1 gw-test\r\n", reply.Text);
        Assert.DoesNotContain("X-Hop", reply.Text);
        Assert.EndsWith("\r\n\r\nrefuse", reply.Text);
    }

    [Fact]
    public async Task A_WebSocket_over_HTTP2_extended_CONNECT_is_built_by_the_same_transform()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler());
        using var socket = new ClientWebSocket();
        socket.Options.HttpVersion = HttpVersion.Version20;
        socket.Options.HttpVersionPolicy = HttpVersionPolicy.RequestVersionExact;
        socket.Options.SetRequestHeader("X-Forwarded-For", "6.6.6.6");
        socket.Options.SetRequestHeader("Forwarded", "for=6.6.6.6");
        socket.Options.SetRequestHeader("X-Kept", "1");
        await socket.ConnectAsync(new Uri($"ws://{gateway.Gateway.Listener().Authority}/ws"), invoker, timeout.Token);
        var received = await gateway.Upstream.NextAsync();
        output.WriteLine(received.ToString());

        Assert.Equal("GET /ws HTTP/1.1", received.RequestLine);
        AssertHeaders(
            ["Connection: Upgrade", UpstreamHost, "Sec-WebSocket-Version: 13", "Upgrade: websocket", "Via: 2 gw-test", "X-Forwarded-For: 127.0.0.1",
             $"X-Forwarded-Host: {gateway.Gateway.Listener().Authority}", "X-Forwarded-Proto: http", "x-kept: 1"],
            received, "Sec-WebSocket-Key");
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Fact]
    public async Task An_HTTP2_request_reaches_an_HTTP1_upstream_with_the_same_headers()
    {
        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.Gateway.Listener(), "/h2"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "6.6.6.6");
        request.Headers.TryAddWithoutValidation("X-Real-IP", "6.6.6.6");
        request.Headers.TryAddWithoutValidation("X-Kept", "1");
        request.Headers.TE.ParseAdd("trailers");
        using var response = await client.SendAsync(request);
        var received = await gateway.Upstream.NextAsync();
        output.WriteLine(received.ToString());

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(["1.1 gw-test"], response.Headers.Via.Select(v => v.ToString()));
        Assert.Equal("GET /h2 HTTP/1.1", received.RequestLine);
        // The HTTP/2 client's TE: trailers is kept; on the HTTP/1.1 hop, TE is a connection option (RFC 9110 §10.1.4).
        AssertHeaders(["Connection: TE", UpstreamHost, "TE: trailers", "Via: 2 gw-test", "X-Forwarded-For: 127.0.0.1",
            $"X-Forwarded-Host: {gateway.Gateway.Listener().Authority}", "X-Forwarded-Proto: http", "x-kept: 1"], received);
    }

    [Fact]
    public async Task A_retried_request_reaches_the_second_endpoint_with_the_same_headers_once()
    {
        var before = gateway.Upstream.Requests.Count;
        var (reply, received) = await ExchangeAsync("GET /retry/x HTTP/1.1\r\nHost: gateway.test\r\n" + Spoofed + "Connection: X-Secret\r\nX-Secret: s\r\n\r\n");

        Assert.Equal(200, reply.Status);
        Assert.Equal(before + 1, gateway.Upstream.Requests.Count);
        AssertHeaders([UpstreamHost, "Via: 1.1 gw-test", .. Replaced], received);
        // The first endpoint refused the connection: the request was retried, not routed there by turn.
        var metrics = await new HttpClient().GetStringAsync(new Uri(gateway.Gateway.Admin, "/metrics"));
        Assert.Contains("gateway_upstream_errors_total{upstream=\"retry\",error=\"Retried\"} 1", metrics);
    }

    [Fact]
    public async Task Append_keeps_a_trusted_peers_forwarding_headers_and_adds_this_hop()
    {
        var (_, received) = await ExchangeAsync("GET /append HTTP/1.1\r\nHost: gateway.test\r\n" + Spoofed + "\r\n");

        AssertHeaders(
            ["Forwarded: for=6.6.6.6;proto=https, for=127.0.0.1;proto=http;host=\"gateway.test\"", UpstreamHost, "Via: 1.1 gw-test",
             "X-Forwarded-For: 6.6.6.6, 127.0.0.1", "X-Forwarded-Host: evil.test, gateway.test", "X-Forwarded-Port: 443",
             "X-Forwarded-Prefix: /evil", "X-Forwarded-Proto: https, http", "X-Real-IP: 6.6.6.6"],
            received);
    }

    [Fact]
    public async Task Append_starts_no_Forwarded_list_the_trusted_peer_did_not_send()
    {
        var (_, received) = await ExchangeAsync("GET /append HTTP/1.1\r\nHost: gateway.test\r\nX-Forwarded-For: 10.9.9.9\r\n\r\n");

        AssertHeaders([UpstreamHost, "Via: 1.1 gw-test", "X-Forwarded-For: 10.9.9.9, 127.0.0.1", "X-Forwarded-Host: gateway.test", "X-Forwarded-Proto: http"], received);
    }

    [Theory]
    [InlineData("keep-alive", "Connection: keep-alive\r\n", PeerClose.StillOpen)]
    [InlineData("keep-alive, X-Secret", "Connection: close\r\n", PeerClose.Fin)]
    public async Task An_HTTP10_client_naming_headers_beside_keep_alive_is_closed_after_its_response(string connection, string answer, PeerClose end)
    {
        var (reply, received) = await ExchangeAsync($"GET /plain HTTP/1.0\r\nHost: gateway.test\r\nConnection: {connection}\r\nX-Secret: s\r\n\r\n");

        Assert.Equal(200, reply.Status);
        Assert.Contains(answer, reply.Text);
        Assert.Equal(end, reply.End);
        Assert.Equal(connection.Contains("X-Secret"), !received.Has("X-Secret"));
        Assert.Equal("1.0 gw-test", received.Header("Via"));
    }

    [Fact]
    public async Task Append_from_a_peer_outside_the_trusted_proxies_replaces_like_the_default()
    {
        var (_, received) = await ExchangeAsync("GET /guarded HTTP/1.1\r\nHost: gateway.test\r\n" + Spoofed + "\r\n");

        AssertHeaders([UpstreamHost, "Via: 1.1 gw-test", .. Replaced], received);
    }

    [Fact]
    public async Task Off_sends_no_forwarding_header_at_all()
    {
        var (_, received) = await ExchangeAsync("GET /off HTTP/1.1\r\nHost: gateway.test\r\n" + Spoofed + "\r\n");

        AssertHeaders([UpstreamHost, "Via: 1.1 gw-test"], received);
    }

    [Fact]
    public async Task Preserve_host_gives_the_upstream_the_clients_host()
    {
        var (_, received) = await ExchangeAsync("GET /host HTTP/1.1\r\nHost: gateway.test:8080\r\n\r\n");

        Assert.Equal("gateway.test:8080", received.Header("Host"));
        Assert.Equal("gateway.test:8080", received.Header("X-Forwarded-Host"));
    }

    [Fact]
    public async Task A_response_loses_its_hop_by_hop_and_Connection_named_headers_and_gains_Via()
    {
        var (reply, _) = await ExchangeAsync("GET /hop HTTP/1.1\r\nHost: gateway.test\r\n\r\n");

        var head = reply.Text[..reply.Text.IndexOf("\r\n\r\n", StringComparison.Ordinal)].Split("\r\n");
        Assert.Equal("HTTP/1.1 200 OK", head[0]);
        Assert.Equal(["Content-Length: 2", "Via: 1.1 origin", "Via: 1.1 gw-test", "X-End: 1"],
            head.Skip(1).Where(l => !l.StartsWith("Date:") && !l.StartsWith("Gateway-Generation:")).ToArray());
    }
}
