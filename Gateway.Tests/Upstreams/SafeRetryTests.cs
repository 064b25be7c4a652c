using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// Retries that are safe for every method: a request that provably never reached its endpoint is sent to another
/// whatever its method, once, and delivered once; one the endpoint dropped before answering is sent again only when
/// its method is idempotent and its body fits the retry buffer; and retries stay within their budget.
/// </summary>
public sealed class SafeRetryTests(ITestOutputHelper output) : UpstreamTestBase
{
    private Task<InProcessGateway> GatewayAsync(string endpoints, string upstreamExtra) =>
        base.GatewayAsync($"endpoints = [{endpoints}], connect-timeout = 2s {upstreamExtra}");

    [Fact]
    public async Task A_post_to_a_refused_endpoint_is_retried_on_another_and_delivered_exactly_once()
    {
        var live = await Own(UpstreamServer.StartAsync("live"));
        // eject-for = 0s: the dead endpoint stays in rotation, so every other request meets it first.
        var gateway = await GatewayAsync($"\"127.0.0.1:{FreePort()}\", \"{live.Endpoint}\"", ", eject-for = 0s, retry-budget = 100%");

        for (var id = 0; id < 20; id++)
        {
            var response = await Client.PostAsync(new Uri(gateway.Listener(), $"/echo?id={id}"), new StringContent($"payload {id}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal($"payload {id}", await response.Content.ReadAsStringAsync());
        }
        var delivered = live.Completed.GroupBy(c => c).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(20, delivered.Count);
        Assert.All(delivered.Values, n => Assert.Equal(1, n));
        var retried = Metrics.UpstreamErrors(await Client.GetStringAsync(new Uri(gateway.Admin, "/metrics")), "Retried");
        output.WriteLine($"20 POSTs over [dead, live]: all answered, each delivered once; {retried} retried after a refused connection");
        Assert.InRange(retried, 1, 20);  // at most one retry per request
    }

    [Fact]
    public async Task An_endpoint_that_drops_a_request_unanswered_gets_an_idempotent_one_sent_again_with_its_body_only_if_it_fits_the_buffer()
    {
        await using var dropping = DroppingEndpoint.Start();
        var live = await Own(UpstreamServer.StartAsync("live"));
        var gateway = await GatewayAsync($"\"{dropping.Endpoint}\", \"{live.Endpoint}\"", ", retry-buffer = 1KiB, retry-budget = 100%");

        async Task<(int Dropped, List<HttpStatusCode> Statuses)> SendAsync(HttpMethod method, int size, int count)
        {
            var before = dropping.Requests;
            var statuses = new List<HttpStatusCode>();
            for (var i = 0; i < count; i++)
            {
                var body = new string((char)('a' + i % 26), size);
                using var response = await Client.SendAsync(new HttpRequestMessage(method, new Uri(gateway.Listener(), "/echo")) { Content = new StringContent(body) });
                statuses.Add(response.StatusCode);
                if (response.StatusCode == HttpStatusCode.OK) Assert.Equal(body, await response.Content.ReadAsStringAsync());
            }
            return (dropping.Requests - before, statuses);
        }

        // A PUT whose body fits the buffer: the endpoint read it and closed without answering; the other one gets it whole.
        var small = await SendAsync(HttpMethod.Put, 600, 10);
        output.WriteLine($"10 PUTs of 600 bytes: {small.Dropped} dropped unanswered and sent again; {string.Join(",", small.Statuses.Distinct())}");
        Assert.True(small.Dropped >= 3, $"round-robin sends some to the dropping endpoint ({small.Dropped})");
        Assert.All(small.Statuses, s => Assert.Equal(HttpStatusCode.OK, s));

        // A PUT of 3 KiB: more was sent than the buffer keeps, so it cannot be sent again.
        var large = await SendAsync(HttpMethod.Put, 3000, 10);
        output.WriteLine($"10 PUTs of 3000 bytes: {large.Dropped} dropped → {large.Statuses.Count(s => s == HttpStatusCode.BadGateway)} answered 502");
        Assert.True(large.Dropped >= 3);
        Assert.Equal(large.Dropped, large.Statuses.Count(s => s == HttpStatusCode.BadGateway));

        // A POST the endpoint may have acted on is never sent twice.
        var post = await SendAsync(HttpMethod.Post, 100, 10);
        Assert.True(post.Dropped >= 3);
        Assert.Equal(post.Dropped, post.Statuses.Count(s => s == HttpStatusCode.BadGateway));
        Assert.Equal(10 - post.Dropped, live.Completed.Count(c => c.StartsWith("POST ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task When_every_endpoint_refuses_retries_stay_within_the_budget()
    {
        var dead = string.Join(", ", Enumerable.Range(0, 3).Select(_ => $"\"127.0.0.1:{FreePort()}\""));
        var gateway = await GatewayAsync(dead, ", eject-for = 0s, retry-budget = 20%");

        for (var i = 0; i < 100; i++)
        {
            var response = await Client.GetAsync(new Uri(gateway.Listener(), "/hello"));
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Contains("upstream app", await response.Content.ReadAsStringAsync());
        }
        var metrics = await Client.GetStringAsync(new Uri(gateway.Admin, "/metrics"));
        var retried = Metrics.UpstreamErrors(metrics, "Retried");
        var withheld = Metrics.UpstreamErrors(metrics, "NotRetried");
        output.WriteLine($"100 GETs, every endpoint refusing: {retried} retried, {withheld} not retried (budget spent)");
        // 20% of 100 requests plus the reserve of 10, never one retry per request.
        Assert.InRange(retried, 20, 30);
        Assert.Equal(100, retried + withheld);
    }


    /// <summary>An HTTP/1.1 endpoint that reads each request whole (head and Content-Length body) and closes without answering.</summary>
    private sealed class DroppingEndpoint : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private Task _accepting = Task.CompletedTask;
        private int _requests;

        public string Endpoint => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        public int Requests => Volatile.Read(ref _requests);

        public static DroppingEndpoint Start()
        {
            var endpoint = new DroppingEndpoint();
            endpoint._listener.Start();
            endpoint._accepting = endpoint.AcceptAsync();
            return endpoint;
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener.AcceptSocketAsync(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                _ = DropAsync(socket);
            }
        }

        private async Task DropAsync(Socket socket)
        {
            using (socket)
            {
                var received = new List<byte>();
                var buffer = new byte[8192];
                int head;
                while ((head = Encoding.ASCII.GetString(received.ToArray()).IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                    if (n == 0) return;
                    received.AddRange(buffer.AsSpan(0, n));
                }
                var text = Encoding.ASCII.GetString(received.ToArray(), 0, head);
                var length = text.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    .Select(p => int.Parse(p[1].Trim())).FirstOrDefault();
                var body = received.Count - head - 4;
                while (body < length)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                    if (n == 0) return;
                    body += n;
                }
                Interlocked.Increment(ref _requests);
                socket.Shutdown(SocketShutdown.Both);
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _accepting;
        }
    }
}
