using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Malformed and hostile requests over raw sockets against a real gateway process: each gets its 4xx or a timely
/// close, the process keeps serving, and the upstream never completes a request the client did not validly send.
/// </summary>
public sealed class HostileRequestTests(HostileGateway gateway, ITestOutputHelper output) : IClassFixture<HostileGateway>
{
    /// <summary>What a case may get back: one of these statuses (null: no response, only a close).</summary>
    public sealed record Expected(int?[] Statuses, string[] UpstreamCompletes)
    {
        public static Expected Status(params int?[] statuses) => new(statuses, []);

        /// <summary>No response at all, only a close.</summary>
        public static readonly Expected Close = new([null], []);
    }

    private static string Repeat(char c, int n) => new(c, n);

    private const string Host = "Host: gateway.test\r\n";

    public static TheoryData<string, RawPart[], Expected> Cases => new()
    {
        { "request line without target or version", ["GET\r\n\r\n"], Expected.Status(400) },
        { "binary garbage", [new RawPart([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x0d, 0x0a, 0x0d, 0x0a], TimeSpan.Zero)], Expected.Status(400, null) },
        { "space inside the target", ["GET /a b HTTP/1.1\r\n" + Host + "\r\n"], Expected.Status(400) },
        { "unknown HTTP version", ["GET /hello HTTP/7.1\r\n" + Host + "\r\n"], Expected.Status(505, 400) },
        { "invalid header name", ["GET /hello HTTP/1.1\r\n" + Host + "Bad Header: 1\r\n\r\n"], Expected.Status(400) },
        { "header line without a colon", ["GET /hello HTTP/1.1\r\n" + Host + "NoColonHere\r\n\r\n"], Expected.Status(400) },
        { "bare CR in a header value", ["GET /hello HTTP/1.1\r\n" + Host + "X-A: a\rX-B: b\r\n\r\n"], Expected.Status(400) },
        { "NUL in a header value", ["GET /hello HTTP/1.1\r\n" + Host + "X-A: a\0b\r\n\r\n"], Expected.Status(400) },
        // RFC 9112 §2.2 lets a recipient read a bare LF as a line end; Kestrel does, so the request is forwarded once, re-framed.
        { "bare LF line endings", ["GET /hello HTTP/1.1\n" + Host.TrimEnd('\r', '\n') + "\nConnection: close\n\n"], Expected.Status(200) },
        { "obsolete line folding", ["GET /hello HTTP/1.1\r\n" + Host + "X-A: a\r\n  folded\r\n\r\n"], Expected.Status(400) },
        { "HTTP/1.1 without Host", ["GET /hello HTTP/1.1\r\n\r\n"], Expected.Status(400) },
        { "two Host headers", ["GET /hello HTTP/1.1\r\n" + Host + Host + "\r\n"], Expected.Status(400) },
        { "CONNECT tunnel", ["CONNECT upstream.test:443 HTTP/1.1\r\nHost: upstream.test:443\r\n\r\n"], Expected.Status(501) },
        { "URL beyond max-request-line-bytes", ["GET /" + Repeat('a', HostileGateway.MaxLine + 10) + " HTTP/1.1\r\n" + Host + "\r\n"], Expected.Status(414) },
        { "headers beyond max-header-bytes", ["GET /hello HTTP/1.1\r\n" + Host + "X-Big: " + Repeat('b', HostileGateway.MaxHeaders + 10) + "\r\n\r\n"], Expected.Status(431) },
        { "many small headers beyond max-header-bytes", ["GET /hello HTTP/1.1\r\n" + Host + string.Concat(Enumerable.Range(0, 400).Select(i => $"X-H{i}: v\r\n")) + "\r\n"], Expected.Status(431) },
        {
            "Content-Length and Transfer-Encoding together (smuggling)",
            ["POST /echo HTTP/1.1\r\n" + Host + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n" + Host + "\r\n"],
            // Kestrel follows RFC 9112 §6.3: chunked wins, Content-Length is dropped, and the connection closes after the
            // response, so the bytes after the chunked body are never read as a request; the upstream gets one request
            // framed by the gateway, with the empty body the chunked framing says.
            new([200], ["POST /echo 0"])
        },
        {
            "two different Content-Lengths (smuggling)",
            ["POST /echo HTTP/1.1\r\n" + Host + "Content-Length: 0\r\nContent-Length: 30\r\n\r\nGET /smuggled HTTP/1.1\r\n" + Host + "\r\n"],
            Expected.Status(400)
        },
        { "Content-Length not a number", ["POST /echo HTTP/1.1\r\n" + Host + "Content-Length: 1x\r\n\r\n1"], Expected.Status(400) },
        { "negative Content-Length", ["POST /echo HTTP/1.1\r\n" + Host + "Content-Length: -1\r\n\r\n"], Expected.Status(400) },
        { "Transfer-Encoding that does not end in chunked", ["POST /echo HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"], Expected.Status(400) },
        { "invalid chunk size", ["POST /echo HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n"], Expected.Status(400, null) },
        { "chunk longer than its size", ["POST /echo HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n"], Expected.Status(400, null) },
        { "Content-Length beyond max-body-bytes", ["POST /echo HTTP/1.1\r\n" + Host + $"Content-Length: {HostileGateway.MaxBody + 1}\r\n\r\n" + Repeat('x', HostileGateway.MaxBody + 1)], Expected.Status(413) },
        { "chunked body beyond max-body-bytes", ["POST /echo HTTP/1.1\r\n" + Host + "Transfer-Encoding: chunked\r\n\r\n" + $"{HostileGateway.MaxBody + 1:x}\r\n" + Repeat('x', HostileGateway.MaxBody + 1) + "\r\n0\r\n\r\n"], Expected.Status(413, null) },
        { "silent connection", [], Expected.Close },
        { "slowloris head (a byte every 300ms)", [.. HostileClient.Trickle("GET /hello HTTP/1.1\r\n", Host + string.Concat(Enumerable.Range(0, 40).Select(i => $"X-S{i}: v\r\n")), 1, TimeSpan.FromMilliseconds(300))], Expected.Status(408, null) },
        { "slow body (10 bytes/s)", [.. HostileClient.Trickle("POST /echo HTTP/1.1\r\n" + Host + "Content-Length: 1000\r\n\r\n", Repeat('s', 1000), 5, TimeSpan.FromMilliseconds(500))], Expected.Status(408, null) },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_gets_its_4xx_or_a_timely_close_and_the_upstream_completes_nothing_of_it(string @case, RawPart[] parts, Expected expected)
    {
        var before = gateway.Upstream.Completed.ToArray();

        // Every case ends well within this: a 4xx at once, or a close at the header timeout or the body rate's grace.
        var reply = await HostileClient.ExchangeAsync(gateway.Endpoint, parts, TimeSpan.FromSeconds(20));

        output.WriteLine($"{@case}: {reply}\n{reply.Text[..Math.Min(300, reply.Text.Length)]}");
        output.WriteLine(string.Join('\n', gateway.Process.Output.Where(l => l.Contains("failed", StringComparison.Ordinal)).TakeLast(2)));
        Assert.Contains(reply.Status, expected.Statuses);
        Assert.NotEqual(PeerClose.StillOpen, reply.End);
        await gateway.AssertServesAsync();
        var completed = gateway.Upstream.Completed.Skip(before.Length).Where(r => r != "GET /hello 0").ToList();
        Assert.Equal(expected.UpstreamCompletes, completed);
        Assert.False(gateway.Process.Exited.IsCompleted);
    }

    private static byte[] Frame(byte type, byte flags, int stream, params byte[] payload) =>
        [(byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags,
         (byte)(stream >> 24), (byte)(stream >> 16), (byte)(stream >> 8), (byte)stream, .. payload];

    private const int ProtocolError = 0x1, FrameSizeError = 0x6, CompressionError = 0x9;

    /// <summary>Connection errors of RFC 9113 and the GOAWAY code each must get.</summary>
    public static TheoryData<string, byte[], int> Http2Errors => new()
    {
        { "DATA on stream 0", Frame(0x0, 0x0, 0, (byte)'x'), ProtocolError },
        { "HEADERS on stream 0", Frame(0x1, 0x5, 0, 0x82), ProtocolError },
        { "WINDOW_UPDATE of 0 on the connection", Frame(0x8, 0x0, 0, 0, 0, 0, 0), ProtocolError },
        { "CONTINUATION without HEADERS", Frame(0x9, 0x4, 1, 0x82), ProtocolError },
        { "SETTINGS of 5 bytes", Frame(0x4, 0x0, 0, 0, 0x3, 0, 0, 0), FrameSizeError },
        { "PING of 4 bytes", Frame(0x6, 0x0, 0, 1, 2, 3, 4), FrameSizeError },
        { "undecodable header block", Frame(0x1, 0x5, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), CompressionError },
        { "even stream id from the client", Frame(0x1, 0x5, 2, 0x82, 0x86, 0x84, 0x01, 0x01, (byte)'x'), ProtocolError },
    };

    [Theory]
    [MemberData(nameof(Http2Errors))]
    public async Task An_HTTP2_connection_error_gets_its_GOAWAY_and_the_gateway_keeps_serving(string @case, byte[] frame, int code)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var connection = await RawHttp2Connection.OpenAsync(gateway.Endpoint, cts.Token);

        await connection.SendRawAsync(frame, cts.Token);

        var goAway = await connection.WaitForGoAwayAsync(cts.Token);
        output.WriteLine($"{@case}: GOAWAY {goAway}");
        Assert.Equal(code, goAway);
        await gateway.AssertServesAsync();
        Assert.False(gateway.Process.Exited.IsCompleted);
    }

    [Fact]
    public async Task An_HTTP2_request_with_headers_beyond_the_limit_is_refused_and_the_gateway_keeps_serving()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var client = new HttpClient(new SocketsHttpHandler()) { DefaultRequestVersion = System.Net.HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{gateway.Endpoint}/hello?big");
        request.Headers.Add("X-Big", Repeat('b', HostileGateway.MaxHeaders + 10));

        var sent = await Record.ExceptionAsync(async () =>
        {
            using var response = await client.SendAsync(request, cts.Token);
            Assert.Equal(431, (int)response.StatusCode);
        });

        output.WriteLine(sent?.ToString() ?? "431");
        Assert.True(sent is null or HttpRequestException, sent?.ToString());
        Assert.DoesNotContain(gateway.Upstream.Completed, r => r.StartsWith("GET /hello?big", StringComparison.Ordinal));
        await gateway.AssertServesAsync();
    }
}
