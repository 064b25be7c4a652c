using System.Collections.Concurrent;
using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// The backends roll and no client notices: three HTTP/1.1 endpoints behind one upstream of a gateway process, six
/// keep-alive clients sending GETs and POSTs with unique ids, each endpoint restarted in turn (its readiness answers
/// 503 with <c>Connection: close</c>, 1.5 s later it stops accepting and finishes what it holds, it is down 1 s, it
/// comes back). With the readiness lead not one request fails; no POST is ever delivered twice, and every endpoint
/// serves again once it is back. Without the lead (the endpoint just stops) every GET is still answered, and so is
/// every POST but one the endpoint's own close of its idle connections overtook: that one got no answer on a
/// connection it was written on, so it may have been processed and is answered 502 rather than sent twice (HTTP/1.1
/// has no signal that would prove otherwise; HAProxy and nginx fail a few requests there too, see bench/rolling).
/// </summary>
public sealed class RollingRestartTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Endpoints_restarted_one_after_another_cost_no_request_and_deliver_no_post_twice(bool readinessLead)
    {
        var generations = new ConcurrentQueue<UpstreamServer>();
        var backends = new UpstreamServer[3];
        for (var i = 0; i < backends.Length; i++)
        {
            backends[i] = await UpstreamServer.StartAsync($"backend{i}");
            generations.Enqueue(backends[i]);
        }
        var ports = backends.Select(b => int.Parse(b.Endpoint.Split(':')[1])).ToArray();
        await using var gateway = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app {
                endpoints = [{{string.Join(", ", backends.Select(b => $"\"{b.Endpoint}\""))}}], connect-timeout = 2s
                health-check { path = "/ready", interval = 300ms, timeout = 1s, unhealthy-after = 1, healthy-after = 2 }
                slow-start = 2s
              }
              routes.app { listener = public, path-prefix = "/", upstream = app }
            }
            """);
        var addresses = await gateway.WaitUntilReadyAsync();
        var target = $"http://{addresses["public"]}";

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var failures = new ConcurrentQueue<string>();
        var answered = new ConcurrentQueue<string>();
        var posts = 0;
        var clients = Enumerable.Range(0, 6).Select(c => Task.Run(async () =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = 1 }) { Timeout = TimeSpan.FromSeconds(30) };
            for (var n = 0; n < 500_000 && !stop.IsCancellationRequested; n++)
            {
                var id = $"{c}-{n}";
                var post = n % 2 == 1;
                try
                {
                    using var response = post
                        ? await client.PostAsync($"{target}/echo?id={id}", new StringContent($"order {id}"), CancellationToken.None)
                        : await client.GetAsync($"{target}/hello?id={id}", CancellationToken.None);
                    var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                    if (response.StatusCode != HttpStatusCode.OK || post && body != $"order {id}")
                        failures.Enqueue($"{(post ? "POST" : "GET")} {id}: {(int)response.StatusCode} {body.Trim()}");
                    else answered.Enqueue(id);
                    if (post) Interlocked.Increment(ref posts);
                }
                catch (Exception e)
                {
                    failures.Enqueue($"{(post ? "POST" : "GET")} {id}: {e.GetType().Name}: {e.GetBaseException().Message}");
                }
            }
        })).ToList();

        var restarted = new List<UpstreamServer>();
        for (var i = 0; i < backends.Length; i++)
        {
            await Task.Delay(700);
            var leaving = backends[i];
            if (readinessLead)
            {
                leaving.Ready = false;
                await Task.Delay(1500);
            }
            await leaving.DisposeAsync();  // stops accepting, finishes what it holds
            await Task.Delay(1000);
            var back = await UpstreamServer.StartAsync($"backend{i}-again", ports[i]);
            generations.Enqueue(back);
            backends[i] = back;
            restarted.Add(back);
            // Serving again: requests (not only health checks) reach the endpoint that came back.
            await Wait.UntilAsync(() => Served(back) > 0, stop.Token, TimeSpan.FromSeconds(30));
        }
        await Task.Delay(500);
        stop.Cancel();
        await Task.WhenAll(clients);

        var delivered = generations.SelectMany(g => g.Completed).Where(c => c.StartsWith("POST /echo", StringComparison.Ordinal))
            .GroupBy(c => c.Split(' ')[1]).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"readiness lead {readinessLead}: {answered.Count} answered, {failures.Count} failed, {posts} POSTs ({delivered.Count} delivered); " +
            $"served after coming back: {string.Join(", ", restarted.Select(r => $"{r.Name} {Served(r)}"))}");
        foreach (var failure in failures.Take(10)) output.WriteLine(failure);
        if (!failures.IsEmpty) output.WriteLine(string.Join('\n', gateway.Output.Where(l => l.Contains("Upstream") || l.Contains("Route")).TakeLast(30)));
        Assert.True(answered.Count > 200, $"the clients kept sending ({answered.Count})");
        Assert.All(delivered, d => Assert.True(d.Value == 1, $"POST {d.Key} delivered {d.Value} times"));
        if (readinessLead) Assert.Empty(failures);
        else
        {
            // Only POSTs written on a connection the endpoint closed as it stopped: at most one per client and restart.
            Assert.All(failures, f => Assert.Matches(@"^POST \S+: 502 502 Bad Gateway: upstream app \(.*\) failed: (The response ended prematurely|.*Broken pipe|.*reset by peer)", f));
            Assert.InRange(failures.Count, 0, 6 * backends.Length);
            // ... and none of them was processed: the 502 cost a POST that could not be proven unsent, never a duplicate.
            Assert.All(failures, f => Assert.DoesNotContain(f.Split(' ')[1], delivered.Keys.Select(k => k.Split("id=")[1])));
        }
        Assert.Equal(posts - failures.Count, delivered.Count);
        Assert.All(restarted, r => Assert.True(Served(r) > 0));
        foreach (var backend in backends) await backend.DisposeAsync();
    }

    private static int Served(UpstreamServer server) =>
        server.Completed.Count(c => !c.StartsWith("GET /ready", StringComparison.Ordinal));
}
