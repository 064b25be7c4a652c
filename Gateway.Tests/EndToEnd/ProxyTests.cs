using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.EndToEnd;

/// <summary>The data path through real Kestrel on both sides: the gateway in process, real upstream servers.</summary>
public sealed class ProxyTests : IAsyncLifetime
{
    private UpstreamServer _a = null!;
    private UpstreamServer _b = null!;
    private InProcessGateway _gateway = null!;
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(20),
    };

    public async Task InitializeAsync()
    {
        _a = await UpstreamServer.StartAsync("a");
        _b = await UpstreamServer.StartAsync("b");
        _gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.pair { endpoints = ["{{_a.Endpoint}}", "{{_b.Endpoint}}"] }
              upstreams.one  { endpoints = ["{{_a.Endpoint}}"], response-timeout = 500ms }
              upstreams.dead { endpoints = ["127.0.0.1:{{Ports.Closed()}}"], connect-timeout = 2s }
              routes.root    { listener = public, path-prefix = "/", upstream = one }
              routes.pair    { listener = public, path-prefix = "/api", upstream = pair }
              routes.dead    { listener = public, path-prefix = "/dead", upstream = dead }
              routes.fixed   { listener = public, path-prefix = "/api/fixed", direct-response { status = 418, body = "teapot" } }
            }
            """);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _gateway.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private Uri Url(string path) => new(_gateway.Listener(), path);

    [Fact]
    public async Task Get_is_forwarded_with_forwarded_headers()
    {
        var response = await _client.GetAsync(Url("/headers"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("X-Forwarded-For: 127.0.0.1", body);
        Assert.Contains("X-Forwarded-Proto: http", body);
        Assert.Contains($"X-Forwarded-Host: {_gateway.Listener().Authority}", body);
    }

    [Fact]
    public async Task Post_body_is_streamed_both_ways()
    {
        var payload = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(payload);

        var response = await _client.PostAsync(Url("/echo"), new ByteArrayContent(payload));
        var echoed = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(payload, echoed);
    }

    [Fact]
    public async Task Longest_prefix_wins_and_round_robin_spreads_requests()
    {
        var fixedResponse = await _client.GetAsync(Url("/api/fixed/x"));
        Assert.Equal((HttpStatusCode)418, fixedResponse.StatusCode);
        Assert.Equal("teapot", await fixedResponse.Content.ReadAsStringAsync());

        var servedBy = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var response = await _client.GetAsync(Url("/api/users"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            servedBy.Add(response.Headers.GetValues("X-Upstream").Single());
        }
        Assert.Equal(2, servedBy.Count(s => s == "a"));
        Assert.Equal(2, servedBy.Count(s => s == "b"));
    }

    [Fact]
    public async Task Server_sent_events_arrive_one_by_one_not_buffered()
    {
        using var response = await _client.GetAsync(Url("/sse"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        // The upstream holds the second event until the first has reached the client through the gateway.
        Assert.Equal("data: first", await reader.ReadLineAsync(timeout.Token));
        Assert.False(_a.SecondEvent.Task.IsCompleted);
        _a.SecondEvent.SetResult();
        Assert.Equal("", await reader.ReadLineAsync(timeout.Token));
        Assert.Equal("data: second", await reader.ReadLineAsync(timeout.Token));
    }

    [Fact]
    public async Task WebSocket_upgrade_passes_through()
    {
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await socket.ConnectAsync(new Uri($"ws://{_gateway.Listener().Authority}/ws"), timeout.Token);

        await socket.SendAsync(Encoding.UTF8.GetBytes("ping"), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[256];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);

        Assert.Equal("echo: ping", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
    }

    [Fact]
    public async Task Http2_with_prior_knowledge_is_served_on_the_same_listener()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url("/hello"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var response = await _client.SendAsync(request);

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal("hello from a", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Refused_upstream_answers_502_with_a_reason()
    {
        var response = await _client.GetAsync(Url("/dead/x"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("upstream dead", body);
    }

    [Fact]
    public async Task Upstream_slower_than_the_response_timeout_answers_504_with_a_reason()
    {
        var response = await _client.GetAsync(Url("/slow?ms=5000"));
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("did not answer within 0.5s", body);
    }

    [Fact]
    public async Task Path_without_a_route_answers_404()
    {
        await using var gateway = await InProcessGateway.StartAsync("""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              routes.only { listener = public, path-prefix = "/only", direct-response { status = 200, body = "ok" } }
            }
            """);
        var response = await _client.GetAsync(new Uri(gateway.Listener(), "/other"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
