using System.Net;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Message framing both ways, on raw sockets with a raw-socket upstream that records the bytes it received (RFC 9112
/// §6): a Transfer-Encoding other than chunked alone is answered 501 and nothing is forwarded; a Content-Length that
/// is not 1*DIGIT is a 400; Content-Length with Transfer-Encoding forwards no trace of the length; an upstream's
/// response framed in a way the client could read differently is a 502.
/// </summary>
public sealed class FramingTests(FramingTests.Fixture gateway, ITestOutputHelper output) : IClassFixture<FramingTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public RecordingUpstream Upstream { get; } = RecordingUpstream.Start(request => Encoding.Latin1.GetBytes(request.Target switch
        {
            "/gzip-chunked" => "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "/chunked-chunked" => "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            "/plus-length" => "HTTP/1.1 200 OK\r\nContent-Length: +3\r\n\r\nabc",
            "/length-and-chunked" => "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\n",
            "/Chunked" => "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            _ => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        }));

        public InProcessGateway Gateway { get; private set; } = null!;
        public IPEndPoint Endpoint => IPEndPoint.Parse(Gateway.Listener().Authority);

        public async Task InitializeAsync() => Gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{Upstream.Endpoint}}"] }
              routes.app    { listener = public, path-prefix = "/", upstream = app }
            }
            """);

        public async Task DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Upstream.DisposeAsync();
        }
    }

    private const string Post = "POST /p HTTP/1.1\r\nHost: gateway.test\r\n";

    private async Task<RawReply> SendAsync(string request)
    {
        var reply = await HostileClient.ExchangeAsync(gateway.Endpoint, Encoding.Latin1.GetBytes(request), TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(500));
        output.WriteLine($"{reply}\n{reply.Text}");
        return reply;
    }

    /// <summary>
    /// The request is answered with <paramref name="status"/> (null: closed without an answer) and nothing of it
    /// reached the upstream.
    /// </summary>
    private async Task AssertRefusedAsync(string request, int? status)
    {
        var (connections, requests) = (gateway.Upstream.Connections, gateway.Upstream.Requests.Count);

        var reply = await SendAsync(request);

        Assert.Equal(status, reply.Status);
        Assert.NotEqual(PeerClose.StillOpen, reply.End);
        // A request that passes afterwards proves the upstream would have recorded one.
        Assert.Equal(200, (await SendAsync("GET /after HTTP/1.1\r\nHost: gateway.test\r\n\r\n")).Status);
        Assert.Equal("GET /after HTTP/1.1", (await gateway.Upstream.NextAsync()).RequestLine);
        Assert.Equal(requests + 1, gateway.Upstream.Requests.Count);
        Assert.True(gateway.Upstream.Connections <= connections + 1, "the refused request opened an upstream connection of its own");
    }

    [Theory]
    [InlineData("gzip, chunked")]
    [InlineData("deflate,chunked")]
    [InlineData("chunked, chunked")]
    [InlineData("chunked\r\nTransfer-Encoding: chunked")]
    [InlineData("x-custom , Chunked")]
    public async Task A_transfer_coding_other_than_chunked_alone_is_answered_501_and_nothing_is_forwarded(string codings)
    {
        await AssertRefusedAsync(Post + $"Transfer-Encoding: {codings}\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 501);
    }

    [Theory]
    [InlineData("identity")]
    [InlineData("chunked, gzip")]
    public async Task A_transfer_coding_list_that_does_not_end_in_chunked_is_answered_400_by_Kestrel(string codings)
    {
        await AssertRefusedAsync(Post + $"Transfer-Encoding: {codings}\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400);
    }

    [Fact]
    public async Task Transfer_Encoding_in_an_HTTP10_request_is_answered_400()
    {
        await AssertRefusedAsync("POST /p HTTP/1.0\r\nHost: gateway.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400);
    }

    [Theory]
    [InlineData("+3")]
    [InlineData("-3")]
    [InlineData("3x")]
    [InlineData("0x3")]
    [InlineData("3, 3")]
    [InlineData("3 3")]
    [InlineData("1e1")]
    public async Task A_Content_Length_that_is_not_digits_is_answered_400_and_nothing_is_forwarded(string length)
    {
        await AssertRefusedAsync(Post + $"Content-Length: {length}\r\n\r\nabc", 400);
    }

    [Theory]
    [InlineData("chunked")]
    [InlineData("Chunked")]
    [InlineData("  chunked  ")]
    public async Task A_chunked_body_reaches_the_upstream_chunked(string codings)
    {
        var reply = await SendAsync(Post + $"Transfer-Encoding: {codings}\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        var received = await gateway.Upstream.NextAsync();

        Assert.Equal(200, reply.Status);
        Assert.Equal("chunked", received.Header("Transfer-Encoding"));
        Assert.False(received.Has("Content-Length"));
        Assert.Equal("3\r\nabc\r\n0\r\n\r\n", received.Body);
    }

    [Theory]
    [InlineData("3")]
    [InlineData(" 3 ")]
    [InlineData("003")]
    public async Task A_Content_Length_of_digits_reaches_the_upstream_as_that_number(string length)
    {
        var reply = await SendAsync(Post + $"Content-Length:{length}\r\n\r\nabc");
        var received = await gateway.Upstream.NextAsync();

        Assert.Equal(200, reply.Status);
        Assert.Equal("3", received.Header("Content-Length"));
        Assert.Equal("abc", received.Body);
    }

    [Fact]
    public async Task Content_Length_with_Transfer_Encoding_forwards_the_chunked_body_and_no_trace_of_the_length()
    {
        var reply = await SendAsync(Post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: gateway.test\r\n\r\n");
        var received = await gateway.Upstream.NextAsync();

        Assert.Equal(200, reply.Status);
        // The connection closes after the response: the bytes after the body are never read as a request.
        Assert.Contains("Connection: close\r\n", reply.Text);
        Assert.Equal(PeerClose.Fin, reply.End);
        Assert.Equal("chunked", received.Header("Transfer-Encoding"));
        Assert.DoesNotContain(received.Headers, h => h.Key.Contains("Content-Length", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("5\r\nabcde\r\n0\r\n\r\n", received.Body);
        Assert.DoesNotContain(gateway.Upstream.Requests, r => r.Target == "/smuggled");
    }

    [Fact]
    public async Task Content_Length_with_Transfer_Encoding_and_an_X_Content_Length_of_the_clients_own_is_not_forwarded()
    {
        // Kestrel cannot keep the dropped length where it keeps it and gives up on the connection.
        await AssertRefusedAsync(Post + "X-Content-Length: 9\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", null);
    }

    [Theory]
    [InlineData("/gzip-chunked", "Transfer-Encoding \"gzip, chunked\"")]
    [InlineData("/chunked-chunked", "Transfer-Encoding \"chunked, chunked\"")]
    [InlineData("/plus-length", "Content-Length \"+3\"")]
    public async Task A_response_framed_in_a_way_the_client_could_read_differently_is_answered_502(string path, string reason)
    {
        var reply = await SendAsync($"GET {path} HTTP/1.1\r\nHost: gateway.test\r\n\r\n");

        Assert.Equal($"GET {path} HTTP/1.1", (await gateway.Upstream.NextAsync()).RequestLine);
        Assert.Equal(502, reply.Status);
        Assert.Contains(reason, reply.Text);
        Assert.DoesNotContain("abc", reply.Text);
    }

    [Fact]
    public async Task A_response_with_Content_Length_and_chunked_reaches_the_client_by_its_chunks_without_the_length()
    {
        var reply = await SendAsync("GET /length-and-chunked HTTP/1.1\r\nHost: gateway.test\r\n\r\n");
        await gateway.Upstream.NextAsync();

        Assert.Equal(200, reply.Status);
        Assert.DoesNotContain("Content-Length", reply.Text);
        Assert.Contains("Transfer-Encoding: chunked\r\n", reply.Text);
        Assert.EndsWith("\r\n\r\n5\r\nabcde\r\n0\r\n\r\n", reply.Text);
    }

    [Fact]
    public async Task A_response_chunked_in_any_case_is_relayed()
    {
        var reply = await SendAsync("GET /Chunked HTTP/1.1\r\nHost: gateway.test\r\n\r\n");
        await gateway.Upstream.NextAsync();

        Assert.Equal(200, reply.Status);
        Assert.EndsWith("\r\n\r\n3\r\nabc\r\n0\r\n\r\n", reply.Text);
    }
}
