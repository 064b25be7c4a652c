using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Cluster;

/// <summary>The cluster-wide drain budget: at most max-draining nodes drain at once; the others wait, serving.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DrainBudgetTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Body(int _) => LoopbackCluster.ProxyBody(_upstream.Endpoint, "40s");

    [Fact]
    public async Task Three_drains_asked_at_once_with_a_budget_of_one_run_one_after_another_and_each_completes()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, Body, "max-draining = 1, queue-reserve = 5s, down-unreachable-after = 5s", output);
        // Each node serves 1.5 s requests back to back until it announces its drain (Connection: close), so every
        // drain has requests in flight to finish, and a queued node is seen serving while it waits.
        var loads = cluster.Nodes.Select(n => new SlowLoop(n.Public, loops: 2)).ToList();
        var running = loads.Select(l => l.RunAsync()).ToList();
        foreach (var node in cluster.Nodes)
            await Wait.UntilAsync(async () => (await node.AdminClient.GetStringAsync("/drain")).Contains("\"inFlight\":2"));

        var signalled = DateTime.UtcNow;
        foreach (var node in cluster.Nodes) node.Process.Signal(GatewayProcess.SigTerm);

        // While one drains, the queued ones are still ready and say so in GET /cluster.
        var sawQueuedAndReady = false;
        await Wait.UntilAsync(async () =>
        {
            foreach (var node in cluster.Nodes.Where(n => !n.Process.Exited.IsCompleted))
            {
                try
                {
                    var drain = await node.AdminClient.GetStringAsync("/drain");
                    using var ready = await node.AdminClient.GetAsync("/ready");
                    if (drain.Contains("\"state\":\"queued\"") && ready.StatusCode == HttpStatusCode.OK) sawQueuedAndReady = true;
                }
                catch (HttpRequestException)
                {
                }
            }
            return sawQueuedAndReady;
        }, limit: TimeSpan.FromSeconds(10));

        await Task.WhenAll(running);
        foreach (var node in cluster.Nodes)
            Assert.Equal(0, await node.Process.WaitForExitAsync(TimeSpan.FromSeconds(50)));

        var timeline = cluster.Nodes.Select(n => (
                Node: n.Index,
                Granted: n.Process.FirstLineAt("Drain slot granted") ?? throw new Xunit.Sdk.XunitException($"node {n.Index} never got a slot:\n{n.Process.OutputText}"),
                Finished: n.Process.FirstLineAt("Drain finished: Completed") ?? throw new Xunit.Sdk.XunitException($"node {n.Index} did not complete its drain:\n{n.Process.OutputText}")))
            .OrderBy(t => t.Granted).ToList();
        foreach (var (node, granted, finished) in timeline)
        {
            var load = loads[node];
            output.WriteLine($"node {node}: slot at +{(granted - signalled).TotalMilliseconds:0} ms, drained at +{(finished - signalled).TotalMilliseconds:0} ms; " +
                $"{load.Ok} slow requests ok ({load.OkBetween(signalled, granted)} of them answered while it was queued), {load.Failures.Count} failed{load.FailureText}");
            Assert.True(load.Ok > 0);
            Assert.Equal(0, load.Non200);
        }
        for (var i = 1; i < timeline.Count; i++)
            Assert.True(timeline[i].Granted >= timeline[i - 1].Finished,
                $"node {timeline[i].Node} began draining at {timeline[i].Granted:HH:mm:ss.fff}, before node {timeline[i - 1].Node} finished at {timeline[i - 1].Finished:HH:mm:ss.fff}");
        Assert.All(cluster.Nodes, n => Assert.DoesNotContain("Draining without a drain slot", n.Process.OutputText));
        // The second and third waited at least for the drain before theirs (each ends its 1.5 s requests).
        var waits = new List<double>();
        foreach (var node in cluster.Nodes)
            waits.Add(double.Parse((await node.Process.WaitForLineAsync(@"Drain slot granted after (\d+)ms", TimeSpan.FromSeconds(1))).Groups[1].Value));
        waits.Sort();
        Assert.True(waits[1] >= 300 && waits[2] >= 300, $"waits for a slot: {string.Join(", ", waits)} ms");
    }

    [Fact]
    public async Task A_queued_node_whose_deadline_approaches_drains_anyway_and_says_so()
    {
        // Node 0 holds the only slot for a long drain; node 1's deadline (8 s) leaves it 3 s in the queue (reserve 5 s).
        string Body(int i) => $$"""
            listeners.public { address = "127.0.0.1:0" }
            upstreams.app { endpoints = ["{{_upstream.Endpoint}}"], response-timeout = 60s }
            routes.app    { listener = public, path-prefix = "/", upstream = app }
            drain { announce = 0s, deadline = {{(i == 0 ? "30s" : "8s")}} }
            """;
        await using var cluster = await LoopbackCluster.StartAsync(2, Body, "max-draining = 1, queue-reserve = 5s, down-unreachable-after = 5s", output);
        var (holder, queued) = (cluster.Nodes[0], cluster.Nodes[1]);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var long_ = client.GetAsync($"http://{holder.Public}/slow?ms=15000");
        await Wait.UntilAsync(async () => (await holder.AdminClient.GetStringAsync("/drain")).Contains("\"inFlight\":1"));
        holder.Process.Signal(GatewayProcess.SigTerm);
        await holder.Process.WaitForLineAsync("Drain slot granted", TimeSpan.FromSeconds(10));

        var slow = client.GetAsync($"http://{queued.Public}/slow?ms=1000");
        await Wait.UntilAsync(async () => (await queued.AdminClient.GetStringAsync("/drain")).Contains("\"inFlight\":1"));
        var signalled = DateTime.UtcNow;
        queued.Process.Signal(GatewayProcess.SigTerm);
        await queued.Process.WaitForLineAsync("Drain queued", TimeSpan.FromSeconds(5));
        using (var ready = await queued.AdminClient.GetAsync("/ready"))
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        Assert.Equal(0, await queued.Process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        var gaveUp = queued.Process.FirstLineAt("Draining without a drain slot after .* the drain deadline approaches");
        Assert.NotNull(gaveUp);
        output.WriteLine($"queued node drained without a slot {(gaveUp!.Value - signalled).TotalMilliseconds:0} ms after its signal (deadline 8 s − reserve 5 s)");
        Assert.InRange((gaveUp.Value - signalled).TotalSeconds, 2.5, 5);
        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
        Assert.Contains("Drain finished: Completed (completed=1", queued.Process.OutputText);
        Assert.False(long_.IsCompleted, "the holder was still draining");
    }

    /// <summary>Slow requests back to back on each loop, until the gateway says Connection: close (or refuses).</summary>
    private sealed class SlowLoop(IPEndPoint endpoint, int loops)
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<DateTime> _answered = new();
        public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();
        public int Ok => _answered.Count;
        public int Non200;
        public string FailureText => Failures.IsEmpty ? "" : $" ({string.Join("; ", Failures.Take(3))})";
        public int OkBetween(DateTime from, DateTime to) => _answered.Count(t => t > from && t < to);

        public Task RunAsync() => Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(LoopAsync)));

        private async Task LoopAsync()
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
            for (var i = 0; i < 60; i++)
            {
                try
                {
                    using var response = await client.GetAsync($"http://{endpoint}/slow?ms=1500");
                    if (response.StatusCode != HttpStatusCode.OK) Interlocked.Increment(ref Non200);
                    else _answered.Enqueue(DateTime.UtcNow);
                    if (response.Headers.ConnectionClose == true) return;
                }
                catch (HttpRequestException e)
                {
                    // Only between two requests of a loop, when the drain began just then: the listener has stopped accepting.
                    Failures.Enqueue(e.GetBaseException().Message);
                    return;
                }
            }
        }
    }
}
