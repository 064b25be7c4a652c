using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// A request whose head never reached the endpoint is sent again whatever its method: the endpoint reset the pooled
/// HTTP/1.1 connection while the gateway was still writing the head (it had read none of it), so the POST goes out
/// again on a new connection and is processed exactly once, instead of being answered 502.
/// </summary>
public sealed class UnsentHeadRetryTests(ITestOutputHelper output) : UpstreamTestBase
{
    [Theory]
    [InlineData("order 7")]
    [InlineData("")]
    public async Task A_post_whose_head_the_endpoint_reset_unread_is_sent_again_on_a_new_connection_and_processed_once(string body)
    {
        await using var upstream = ResettingUpstream.Start();
        var gateway = await Own(InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              limits.max-header-bytes = 512KiB
              upstreams.app { endpoints = ["{{upstream.Endpoint}}"], eject-for = 0s }
              routes.app { listener = public, path-prefix = "/", upstream = app }
            }
            """));

        // The first request leaves an idle connection in the gateway's pool.
        Assert.Equal("warm", await Client.GetStringAsync(new Uri(gateway.Listener(), "/warm")));

        // The second one's head is larger than the endpoint's receive window and the gateway's send buffer together, so
        // its write is still under way when the endpoint, which has not read a byte of it, resets the connection.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.Listener(), "/echo?id=7")) { Content = new StringContent(body) };
        request.Headers.TryAddWithoutValidation("X-Pad", new string('p', 256 * 1024));
        using var response = await Client.SendAsync(request);
        var answer = await response.Content.ReadAsStringAsync();
        output.WriteLine($"{(int)response.StatusCode} {answer.Trim()}; reset connection 1 with {upstream.UnreadAtReset} bytes unread; " +
            $"processed: {string.Join(", ", upstream.Processed)}");

        Assert.True(upstream.UnreadAtReset > 0, "the endpoint reset the connection with the head's first bytes unread");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, answer);
        // Processed once, on a second connection: never on the one that was reset.
        Assert.Equal(["1 GET /warm", "2 POST /echo?id=7"], upstream.Processed);
        var metrics = await Client.GetStringAsync(new Uri(gateway.Admin, "/metrics"));
        Assert.Equal(1, Metrics.UpstreamErrors(metrics, "Retried"));
    }

    /// <summary>
    /// An HTTP/1.1 endpoint with a small receive window (and segment size, so that the gateway's send buffer stays
    /// small too) that answers each request on a keep-alive connection, except the second request of its first
    /// connection: it waits until that request's bytes stop arriving (the gateway's write is stuck on the full window),
    /// then closes the connection without reading them, which resets it.
    /// </summary>
    private sealed class ResettingUpstream : IAsyncDisposable
    {
        private readonly Socket _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private readonly ConcurrentQueue<string> _processed = new();
        private int _connections;

        private ResettingUpstream()
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
            _listener.SetRawSocketOption(6 /* IPPROTO_TCP */, 2 /* TCP_MAXSEG */, BitConverter.GetBytes(536));
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            _loop = LoopbackServer.AcceptLoopAsync(_listener, ServeAsync, _stop.Token);
        }

        public static ResettingUpstream Start() => new();

        public string Endpoint => _listener.LocalEndPoint!.ToString()!;

        /// <summary>"connection method target" of every request answered, in order.</summary>
        public IReadOnlyList<string> Processed => _processed.ToArray();

        public int UnreadAtReset { get; private set; }

        private async Task ServeAsync(Socket socket)
        {
            var connection = Interlocked.Increment(ref _connections);
            using (socket)
            {
                var pending = new List<byte>();
                for (var request = 1; ; request++)
                {
                    if (connection == 1 && request == 2)
                    {
                        UnreadAtReset = await WaitForStalledBytesAsync(socket);
                        socket.LingerState = new LingerOption(true, 0);
                        return;
                    }
                    if (await ReadRequestAsync(socket, pending) is not var (line, content)) return;
                    _processed.Enqueue($"{connection} {line}");
                    var reply = line.StartsWith("GET /warm", StringComparison.Ordinal) ? "warm"u8.ToArray() : content;
                    await socket.SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {reply.Length}\r\n\r\n").Concat(reply).ToArray());
                }
            }
        }

        /// <summary>Waits (never reading) until bytes have arrived and their count stayed the same for a while.</summary>
        private async Task<int> WaitForStalledBytesAsync(Socket socket)
        {
            var (last, stableSince) = (-1, DateTime.UtcNow);
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(50);
                var available = socket.Available;
                if (available != last) (last, stableSince) = (available, DateTime.UtcNow);
                else if (available > 0 && DateTime.UtcNow - stableSince > TimeSpan.FromMilliseconds(300)) return available;
            }
            return last;
        }

        private static async Task<(string Line, byte[] Body)?> ReadRequestAsync(Socket socket, List<byte> pending)
        {
            var buffer = new byte[16 * 1024];
            int end;
            while ((end = IndexOfHeadEnd(pending)) < 0)
            {
                var n = await socket.ReceiveAsync(buffer);
                if (n == 0) return null;
                pending.AddRange(buffer.AsSpan(0, n));
            }
            var head = Encoding.ASCII.GetString(pending.GetRange(0, end).ToArray()).Split("\r\n");
            var length = head.Skip(1).Select(h => h.Split(':', 2)).Where(h => h[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                .Select(h => int.Parse(h[1].Trim())).FirstOrDefault();
            pending.RemoveRange(0, end + 4);
            while (pending.Count < length)
            {
                var n = await socket.ReceiveAsync(buffer);
                if (n == 0) return null;
                pending.AddRange(buffer.AsSpan(0, n));
            }
            var body = pending.GetRange(0, length).ToArray();
            pending.RemoveRange(0, length);
            var parts = head[0].Split(' ');
            return ($"{parts[0]} {parts[1]}", body);
        }

        private static int IndexOfHeadEnd(List<byte> bytes)
        {
            for (var i = 0; i + 3 < bytes.Count; i++)
                if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n') return i;
            return -1;
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Dispose();
            await _loop;
        }
    }
}
