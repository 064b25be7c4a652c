using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Cluster;

/// <summary>
/// An endpoint drain asked on one node of a three-node cluster holds on every node within 3 s, an undrain asked on
/// another brings the endpoint back everywhere, a node that joins later receives the drain in force, and
/// <c>scope=node</c> drains on one node only.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class EndpointDrainReplicationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly HttpClient _client = new() { Timeout = TimeSpan.FromSeconds(10) };
    private UpstreamServer _a = null!;
    private UpstreamServer _b = null!;

    public async Task InitializeAsync()
    {
        _a = await UpstreamServer.StartAsync("a");
        _b = await UpstreamServer.StartAsync("b");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private string Body(int _) => $$"""
        listeners.public { address = "127.0.0.1:0" }
        upstreams.app { endpoints = ["{{_a.Endpoint}}", "{{_b.Endpoint}}"], slow-start = 0s }
        routes.app { listener = public, path-prefix = "/", upstream = app }
        drain { announce = 0s, deadline = 10s }
        """;

    private async Task<string> AnsweredByAsync(LoopbackCluster.Node node)
    {
        using var response = await _client.GetAsync($"http://{node.Public}/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("X-Upstream").Single();
    }

    private async Task<JsonElement> PostAsync(LoopbackCluster.Node node, string path, HttpStatusCode expected)
    {
        using var response = await node.AdminClient.PostAsync(path, null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>Sends requests through <paramref name="node"/> for <paramref name="until"/> after <paramref name="asked"/>, then 20 more: when the last one answered by a was sent.</summary>
    private async Task<TimeSpan?> LastSentToAAsync(LoopbackCluster.Node node, Stopwatch asked, TimeSpan until)
    {
        TimeSpan? last = null;
        var after = 0;
        while (asked.Elapsed < until || after++ < 20)
        {
            var sent = asked.Elapsed;
            if (await AnsweredByAsync(node) == "a") last = sent;
        }
        return last;
    }

    [Fact]
    public async Task An_endpoint_drain_asked_on_one_node_holds_on_all_within_3s_an_undrain_on_another_brings_it_back_and_a_late_node_receives_it()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, Body, "down-unreachable-after = 5s", output);
        foreach (var node in cluster.Nodes)
            Assert.Contains("a", await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => AnsweredByAsync(node))));

        var asked = Stopwatch.StartNew();
        var drained = await PostAsync(cluster.Nodes[0], $"/upstreams/app/drain?endpoint={_a.Endpoint}", HttpStatusCode.Accepted);
        Assert.Equal("cluster", drained.GetProperty("scope").GetString());
        var last = await Task.WhenAll(cluster.Nodes.Select(n => LastSentToAAsync(n, asked, TimeSpan.FromSeconds(3))));
        output.WriteLine($"drain asked on node 0: last request sent to a through each node at " +
            string.Join(", ", last.Select((t, i) => $"node {i}: {(t is null ? "none" : $"{t.Value.TotalMilliseconds:0} ms")}")));
        Assert.All(last, t => Assert.True(t is null || t < TimeSpan.FromSeconds(3), $"a request sent {t?.TotalMilliseconds:0} ms after the drain still reached a"));
        foreach (var node in cluster.Nodes)
        {
            var view = (await EndpointView.OfAsync(node.AdminClient, node.AdminClient.BaseAddress!))[_a.Endpoint];
            Assert.Equal(("drained", "cluster"), (view.State, view.DrainedBy));
        }
        // Any node's GET /upstreams shows what every node says about the endpoint.
        await Wait.UntilAsync(async () => NodeStates(await UpstreamsOfNode2Async(cluster)).Count(s => s == "drained") == 3, limit: TimeSpan.FromSeconds(10));

        asked.Restart();
        await PostAsync(cluster.Nodes[1], $"/upstreams/app/undrain?endpoint={_a.Endpoint}", HttpStatusCode.OK);
        await Task.WhenAll(cluster.Nodes.Select(n => Wait.UntilAsync(async () => await AnsweredByAsync(n) == "a", limit: TimeSpan.FromSeconds(10))));
        output.WriteLine($"undrain asked on node 1: every node sends to a again after {asked.ElapsedMilliseconds} ms");

        // A node that joins later receives the drain in force.
        await PostAsync(cluster.Nodes[2], $"/upstreams/app/drain?endpoint={_a.Endpoint}", HttpStatusCode.Accepted);
        var late = await cluster.AddNodeAsync();
        await Wait.UntilAsync(async () => (await EndpointView.OfAsync(late.AdminClient, late.AdminClient.BaseAddress!))[_a.Endpoint].State == "drained",
            limit: TimeSpan.FromSeconds(20));
        Assert.All(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => AnsweredByAsync(late))), by => Assert.Equal("b", by));
        await PostAsync(cluster.Nodes[0], $"/upstreams/app/undrain?endpoint={_a.Endpoint}", HttpStatusCode.OK);

        // scope=node: this node only.
        await Task.WhenAll(cluster.Nodes.Select(n => Wait.UntilAsync(async () => await AnsweredByAsync(n) == "a", limit: TimeSpan.FromSeconds(10))));
        await PostAsync(cluster.Nodes[0], $"/upstreams/app/drain?endpoint={_a.Endpoint}&scope=node", HttpStatusCode.Accepted);
        Assert.All(await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => AnsweredByAsync(cluster.Nodes[0]))), by => Assert.Equal("b", by));
        await Task.Delay(1500);  // longer than replication takes: nothing to replicate
        Assert.Contains("a", await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => AnsweredByAsync(cluster.Nodes[1]))));
        Assert.Equal("healthy", (await EndpointView.OfAsync(cluster.Nodes[1].AdminClient, cluster.Nodes[1].AdminClient.BaseAddress!))[_a.Endpoint].State);
    }

    private static async Task<JsonElement> UpstreamsOfNode2Async(LoopbackCluster cluster) =>
        JsonDocument.Parse(await cluster.Nodes[2].AdminClient.GetStringAsync("/upstreams")).RootElement.Clone();

    private IEnumerable<string?> NodeStates(JsonElement upstreams) =>
        upstreams.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("upstreams") is { ValueKind: JsonValueKind.Object } u
            && u.TryGetProperty("app", out var app) && app.TryGetProperty(_a.Endpoint, out var state) ? state.GetString() : null);
}
