using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// The rule for a request that is not idempotent: it is sent again only when no endpoint can have received its whole
/// head. An endpoint that resets a pooled HTTP/1.1 connection while the gateway is still writing the head (it read
/// only the start of it) gets the POST sent to the other endpoint, which processes it exactly once. An endpoint that
/// resets the connection after the whole head was written, even having read only part of it, costs the POST a 502:
/// the gateway cannot prove the endpoint did not act on it, so it never risks sending it twice. A PUT with a body is
/// watched as a POST is (its failed head can be reported as the body's); a request without a body whose method is
/// idempotent is not: it is sent again whatever its head's fate.
/// </summary>
public sealed class UnsentHeadRetryTests(ITestOutputHelper output) : UpstreamTestBase
{
    [Theory]
    [InlineData("POST", "order 7")]
    [InlineData("POST", "")]
    // Idempotent, but with a body: the failed write of its head is reported as the body's, which alone is not retried.
    [InlineData("PUT", "order 7")]
    public async Task A_request_whose_head_write_the_endpoint_reset_part_way_is_sent_to_the_other_endpoint_and_processed_once(string method, string body)
    {
        // Larger than any send buffer the kernel grows for a connection (tcp_wmem's maximum) plus the endpoint's small
        // receive window: the write of this head cannot have ended when the endpoint has read only its first bytes.
        var pad = MaxSendBuffer() + (1 << 20);
        await using var resetting = RawEndpoint.Start(resetSecondRequest: true);
        await using var other = RawEndpoint.Start(resetSecondRequest: false);
        var gateway = await GatewayWithAsync(resetting, other, maxHeaderBytes: 2 * pad);
        await PoolOnResettingEndpointNextAsync(gateway, resetting, other);

        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(gateway.Listener(), "/echo?id=7")) { Content = new StringContent(body) };
        request.Headers.TryAddWithoutValidation("X-Pad", new string('p', pad));
        using var response = await Client.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{(int)response.StatusCode} {answer.Trim()}; the endpoint read {resetting.ReadBeforeReset} of {pad}+ bytes of the head " +
            $"and reset; processed: {string.Join(", ", resetting.Processed)} | {string.Join(", ", other.Processed)}");

        Assert.InRange(resetting.ReadBeforeReset, 1, pad - 1);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, answer);
        Assert.DoesNotContain(resetting.Processed, p => p.Contains(method, StringComparison.Ordinal));
        Assert.Single(other.Processed, p => p.EndsWith($"{method} /echo?id=7", StringComparison.Ordinal));
        Assert.Equal(1, Metrics.UpstreamErrors(await Client.GetStringAsync(new Uri(gateway.Admin, "/metrics")), "Retried"));
    }

    [Theory]
    [InlineData("POST", HttpStatusCode.BadGateway)]
    [InlineData("PUT", HttpStatusCode.OK)]
    public async Task A_request_whose_whole_head_was_written_is_sent_again_only_if_idempotent_though_the_endpoint_read_part_of_it(string method, HttpStatusCode expected)
    {
        await using var resetting = RawEndpoint.Start(resetSecondRequest: true, readBeforeReset: 16);
        await using var other = RawEndpoint.Start(resetSecondRequest: false);
        var gateway = await GatewayWithAsync(resetting, other, maxHeaderBytes: 32 * 1024);
        await PoolOnResettingEndpointNextAsync(gateway, resetting, other);

        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(gateway.Listener(), "/echo?id=8")));
        output.WriteLine($"{method}: {(int)response.StatusCode} {(await response.Content.ReadAsStringAsync()).Trim()}; the endpoint read " +
            $"{resetting.ReadBeforeReset} bytes of the head and reset; processed: {string.Join(", ", resetting.Processed)} | {string.Join(", ", other.Processed)}");

        Assert.Equal(16, resetting.ReadBeforeReset);
        Assert.Equal(expected, response.StatusCode);
        // The endpoint that reset never processed it, nor any new connection to it; the other one did only if it was idempotent.
        Assert.DoesNotContain(resetting.Processed, p => p.Contains(method, StringComparison.Ordinal));
        Assert.Equal(expected == HttpStatusCode.OK ? 1 : 0, other.Processed.Count(p => p.EndsWith($"{method} /echo?id=8", StringComparison.Ordinal)));
    }

    private Task<InProcessGateway> GatewayWithAsync(RawEndpoint first, RawEndpoint second, int maxHeaderBytes) => Own(InProcessGateway.StartAsync($$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          limits.max-header-bytes = {{maxHeaderBytes}}B
          upstreams.app { endpoints = ["{{first.Endpoint}}", "{{second.Endpoint}}"], eject-for = 0s, slow-start = 0s, retry-budget = 100% }
          routes.app { listener = public, path-prefix = "/", upstream = app }
        }
        """));

    /// <summary>
    /// GETs until one was answered by <paramref name="other"/> right after one by <paramref name="resetting"/>: the
    /// next request goes (round-robin) to the resetting endpoint, on the connection its first GET left in the pool.
    /// </summary>
    private async Task PoolOnResettingEndpointNextAsync(InProcessGateway gateway, RawEndpoint resetting, RawEndpoint other)
    {
        for (var i = 0; i < 3 && !(resetting.Processed.Count == 1 && other.LastAt > resetting.LastAt); i++)
            Assert.Equal(HttpStatusCode.OK, (await Client.GetAsync(new Uri(gateway.Listener(), $"/warm{i}"))).StatusCode);
        Assert.Single(resetting.Processed);
        Assert.True(other.LastAt > resetting.LastAt, "the last GET went to the other endpoint");
    }

    private static int MaxSendBuffer()
    {
        var wmem = File.Exists("/proc/sys/net/ipv4/tcp_wmem") ? File.ReadAllText("/proc/sys/net/ipv4/tcp_wmem") : "";
        return wmem.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries) is [_, _, var max] ? int.Parse(max) : 4 << 20;
    }

    /// <summary>
    /// An HTTP/1.1 endpoint with a small receive window (and segment size, so the sender's buffer stays small too)
    /// that echoes each request's body on a keep-alive connection, except, when asked, the second request of its first
    /// connection: of that one it reads one chunk of the head (up to <c>readBeforeReset</c> bytes), then closes with
    /// the rest unread, which resets the connection.
    /// </summary>
    private sealed class RawEndpoint : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly ConcurrentQueue<string> _processed = new();
        private readonly bool _resetSecondRequest;
        private readonly int _readBeforeReset;
        private int _connections;
        private long _order;
        private static long s_clock;

        private RawEndpoint(bool resetSecondRequest, int readBeforeReset)
        {
            (_resetSecondRequest, _readBeforeReset) = (resetSecondRequest, readBeforeReset);
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            _listener.SetRawSocketOption(6 /* IPPROTO_TCP */, 2 /* TCP_MAXSEG */, BitConverter.GetBytes(536));
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            _loop = LoopbackServer.AcceptLoopAsync(_listener, ServeAsync, _stop.Token);
        }

        public static RawEndpoint Start(bool resetSecondRequest, int readBeforeReset = 4096) => new(resetSecondRequest, readBeforeReset);

        public string Endpoint => _listener.LocalEndPoint!.ToString()!;

        /// <summary>"connection method target" of every request answered, in order.</summary>
        public IReadOnlyList<string> Processed => _processed.ToArray();

        /// <summary>When (on a clock shared by every endpoint of the test process) this one last answered.</summary>
        public long LastAt => Interlocked.Read(ref _order);

        public int ReadBeforeReset { get; private set; }

        private async Task ServeAsync(Socket socket)
        {
            var connection = Interlocked.Increment(ref _connections);
            using (socket)
            {
                var pending = new MemoryStream();
                for (var request = 1; ; request++)
                {
                    if (_resetSecondRequest && connection == 1 && request == 2)
                    {
                        ReadBeforeReset = await socket.ReceiveAsync(new byte[_readBeforeReset]);
                        socket.LingerState = new LingerOption(true, 0);
                        return;
                    }
                    if (await ReadRequestAsync(socket, pending) is not var (line, content)) return;
                    _processed.Enqueue($"{connection} {line}");
                    Interlocked.Exchange(ref _order, Interlocked.Increment(ref s_clock));
                    await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {content.Length}\r\n\r\n").Concat(content).ToArray());
                }
            }
        }

        private static async Task<(string Line, byte[] Body)?> ReadRequestAsync(Socket socket, MemoryStream pending)
        {
            var buffer = new byte[64 * 1024];
            int end;
            var searched = 0;
            while ((end = IndexOfHeadEnd(pending, searched)) < 0)
            {
                searched = (int)Math.Max(0, pending.Length - 3);
                var n = await socket.ReceiveAsync(buffer);
                if (n == 0) return null;
                pending.Write(buffer, 0, n);
            }
            var bytes = pending.GetBuffer();
            var head = Encoding.ASCII.GetString(bytes, 0, end).Split("\r\n");
            var length = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(h => int.Parse(h[1].Trim())).FirstOrDefault();
            Consume(pending, end + 4);
            while (pending.Length < length)
            {
                var n = await socket.ReceiveAsync(buffer);
                if (n == 0) return null;
                pending.Write(buffer, 0, n);
            }
            var body = pending.GetBuffer().AsSpan(0, length).ToArray();
            Consume(pending, length);
            var parts = head[0].Split(' ');
            return ($"{parts[0]} {parts[1]}", body);
        }

        private static void Consume(MemoryStream pending, int count)
        {
            var rest = pending.GetBuffer().AsSpan(count, (int)pending.Length - count).ToArray();
            pending.SetLength(0);
            pending.Write(rest);
        }

        private static int IndexOfHeadEnd(MemoryStream bytes, int from)
        {
            var found = bytes.GetBuffer().AsSpan(from, (int)bytes.Length - from).IndexOf("\r\n\r\n"u8);
            return found < 0 ? -1 : from + found;
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Dispose();
            await _loop;
        }
    }
}
