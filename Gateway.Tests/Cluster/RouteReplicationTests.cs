using System.Diagnostics;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Cluster;

/// <summary>Routes and upstreams applied on one node reach every node, and a node that joins later.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RouteReplicationTests(ITestOutputHelper output)
{
    private static string Body(string answer) => $$"""
        listeners.public { address = "127.0.0.1:0" }
        routes.hello { listener = public, path-prefix = "/", direct-response { status = 200, body = "{{answer}}" } }
        drain { announce = 0s, deadline = 10s }
        """;

    [Fact]
    public async Task A_route_change_reloaded_on_one_node_takes_effect_on_the_others_and_on_a_node_that_joins_later()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, _ => Body("v1"), "down-unreachable-after = 5s", output);
        var a = cluster.Nodes[0];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        foreach (var node in cluster.Nodes) Assert.Equal("v1", await client.GetStringAsync($"http://{node.Public}/"));

        await File.WriteAllTextAsync(a.Process.ConfigPath!, (await File.ReadAllTextAsync(a.Process.ConfigPath!)).Replace("\"v1\"", "\"v2\""));
        var reloaded = Stopwatch.StartNew();
        var response = await a.AdminClient.PostAsync("/reload", null);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        var applied = new Dictionary<int, TimeSpan>();
        await Wait.UntilAsync(async () =>
        {
            foreach (var node in cluster.Nodes.Skip(1).Where(n => !applied.ContainsKey(n.Index)))
                if (await client.GetStringAsync($"http://{node.Public}/") == "v2") applied[node.Index] = reloaded.Elapsed;
            return applied.Count == 2;
        }, limit: TimeSpan.FromSeconds(15));
        foreach (var (node, after) in applied)
            output.WriteLine($"route change on node 0 → served by node {node} after {after.TotalMilliseconds:0} ms (POST /reload to first v2 answer)");
        Assert.All(applied.Values, t => Assert.True(t < TimeSpan.FromSeconds(5), $"propagation took {t.TotalMilliseconds:0} ms"));

        // A node that joins later starts on its own file (v1) and receives the latest version.
        var late = await cluster.AddNodeAsync();
        var joined = Stopwatch.StartNew();
        await Wait.UntilAsync(async () => await client.GetStringAsync($"http://{late.Public}/") == "v2", limit: TimeSpan.FromSeconds(20));
        output.WriteLine($"late node serves v2 {joined.Elapsed.TotalMilliseconds:0} ms after it was ready");

        var view = await LoopbackCluster.ViewAsync(late);
        Assert.Equal(1, view.GetProperty("configVersion").GetInt64());
        await Wait.UntilAsync(async () => (await LoopbackCluster.ViewAsync(a)).GetProperty("members").EnumerateArray()
            .Count(m => m.TryGetProperty("configVersion", out var v) && v.ValueKind == System.Text.Json.JsonValueKind.Number && v.GetInt64() == 1) == 4,
            limit: TimeSpan.FromSeconds(10));
        Assert.Contains("Replicated routes version 1", late.Process.OutputText);
    }

    [Fact]
    public async Task A_hot_restart_of_a_cluster_node_is_refused_with_exit_2_and_the_running_node_serves_on()
    {
        await using var cluster = await LoopbackCluster.StartAsync(1, _ => Body("v1"), "", output);
        var node = cluster.Nodes[0];
        await using var successor = GatewayProcess.StartWithConfigFile(node.Process.ConfigPath!, "--hot-restart");

        Assert.Equal(2, await successor.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("gateway.cluster: a hot restart of a cluster node is not supported", successor.OutputText);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("v1", await client.GetStringAsync($"http://{node.Public}/"));
    }
}
