using System.Diagnostics;
using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Cluster;

/// <summary>Three gateway nodes as real processes: a node that leaves drains first; a node that dies is downed.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterLeaveTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Body(int _) => LoopbackCluster.ProxyBody(_upstream.Endpoint, "20s");

    [Fact]
    public async Task A_node_that_leaves_by_sigterm_finishes_its_in_flight_requests_the_others_serve_on_and_it_exits_0()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, Body, "down-unreachable-after = 5s", output);
        var leaver = cluster.Nodes[1];
        var stayers = new[] { cluster.Nodes[0], cluster.Nodes[2] };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var loads = stayers.Select(n => new LoadLoops(n.Public, loops: 3, maxRequestsPerLoop: 4000)).ToList();
        var running = loads.Select(l => l.RunAsync(stop.Token)).ToList();
        // The leaver's own share of the load, stopped at the signal (a load balancer moves away on its readiness).
        using var leaverStop = new CancellationTokenSource();
        var leaverLoad = new LoadLoops(leaver.Public, loops: 2, maxRequestsPerLoop: 4000);
        var leaverRunning = leaverLoad.RunAsync(leaverStop.Token);
        await Task.Delay(1000);

        using var slowClient = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        // Held by the upstream until the leaver drains: their responses start after it told its connections to close.
        var inFlight = Enumerable.Range(0, 5).Select(_ => slowClient.GetAsync($"http://{leaver.Public}/gated")).ToList();
        await Wait.UntilAsync(async () => (await leaver.AdminClient.GetStringAsync("/drain")).Contains("\"inFlight\":5"));

        var signalled = Stopwatch.StartNew();
        leaverStop.Cancel();
        leaver.Process.Signal(GatewayProcess.SigTerm);
        // Draining comes after the unbind, which every listener answers after it has passed the announce on.
        await Wait.UntilAsync(async () => (await leaver.AdminClient.GetStringAsync("/drain")).Contains("\"phase\":\"Draining\""), limit: TimeSpan.FromSeconds(20));
        _upstream.HeldRelease.TrySetResult();

        foreach (var response in await Task.WhenAll(inFlight))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(response.Headers.ConnectionClose, "an in-flight response of the leaver carries Connection: close");
        }
        var exitCode = await leaver.Process.WaitForExitAsync(TimeSpan.FromSeconds(30));
        var exitedAfter = signalled.Elapsed;
        await Wait.UntilAsync(async () => (await LoopbackCluster.MembersAsync(cluster.Nodes[0])).Count == 2, limit: TimeSpan.FromSeconds(15));
        await Task.Delay(1000);
        stop.Cancel();
        await Task.WhenAll(running);
        await leaverRunning;

        output.WriteLine($"SIGTERM → leaver exit {exitedAfter.TotalMilliseconds:0} ms (exit code {exitCode}); in-flight 5 held through the drain all 200");
        output.WriteLine($"leaver before the signal: {leaverLoad.Summary}");
        foreach (var (load, node) in loads.Zip(stayers)) output.WriteLine($"node {node.Index}: {load.Summary}");
        Assert.Equal(0, exitCode);
        Assert.All(loads, l => Assert.Empty(l.Failures));
        Assert.All(loads, l => Assert.True(l.Succeeded > 100, $"only {l.Succeeded} requests served"));
        var log = leaver.Process.OutputText;
        // The drain ran before the cluster phases: drained, then the node left.
        Assert.True(log.IndexOf("Drain finished: Completed", StringComparison.Ordinal) < log.IndexOf("Exiting completed", StringComparison.Ordinal),
            "the drain finishes before the node leaves the cluster");
    }

    [Fact]
    public async Task A_node_asked_to_leave_on_the_admin_api_drains_leaves_and_exits_0()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, Body, "down-unreachable-after = 5s", output);
        var leaver = cluster.Nodes[2];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync($"http://{leaver.Public}/slow?ms=1500");
        await Wait.UntilAsync(async () => (await leaver.AdminClient.GetStringAsync("/drain")).Contains("\"inFlight\":1"));

        var response = await leaver.AdminClient.PostAsync("/drain?leave=true", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains("\"result\":\"Leaving\"", await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
        Assert.Equal(0, await leaver.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Drain finished: Completed (completed=1 forced=0", leaver.Process.OutputText);
        await Wait.UntilAsync(async () => !(await LoopbackCluster.MembersAsync(cluster.Nodes[0])).ContainsKey(leaver.Address), limit: TimeSpan.FromSeconds(15));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{cluster.Nodes[0].Public}/hello")).StatusCode);
    }

    [Fact]
    public async Task A_node_asked_to_leave_by_another_node_drains_first_then_leaves_and_exits_0()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, Body, "down-unreachable-after = 5s", output);
        var leaver = cluster.Nodes[1];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync($"http://{leaver.Public}/slow?ms=4000");
        await Wait.UntilAsync(async () => (await leaver.AdminClient.GetStringAsync("/drain")).Contains("\"inFlight\":1"));

        // Cluster.Leave for node 1, called on node 0.
        var response = await cluster.Nodes[0].AdminClient.PostAsync($"/cluster/leave?node={Uri.EscapeDataString(leaver.Address)}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var answer = await slow;
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True(answer.Headers.ConnectionClose);
        Assert.Equal(0, await leaver.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var log = leaver.Process.OutputText;
        Assert.Contains("ClusterLeavingReason", log);
        Assert.True(log.IndexOf("Drain finished: Completed (completed=1 forced=0", StringComparison.Ordinal) is > 0 and var drained
            && drained < log.IndexOf("Exiting completed", StringComparison.Ordinal), "drained before the cluster phases");
        Assert.Equal(HttpStatusCode.NotFound, (await cluster.Nodes[0].AdminClient.PostAsync("/cluster/leave?node=akka.tcp%3A%2F%2Fgateway%40127.0.0.1%3A1", null)).StatusCode);
    }

    [Fact]
    public async Task A_downed_node_drains_at_once_without_the_budget_and_exits_1_while_the_others_serve_on()
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, Body, "down-unreachable-after = 5s", output);
        var downed = cluster.Nodes[2];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync($"http://{downed.Public}/slow?ms=3000");
        await Wait.UntilAsync(async () => (await downed.AdminClient.GetStringAsync("/drain")).Contains("\"inFlight\":1"));

        var response = await cluster.Nodes[0].AdminClient.PostAsync($"/cluster/down?node={Uri.EscapeDataString(downed.Address)}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
        Assert.Equal(1, await downed.Process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("This node was downed (it is no longer in the cluster): draining at once, without the drain budget", downed.Process.OutputText);
        Assert.Contains("Drain finished: Completed (completed=1 forced=0", downed.Process.OutputText);
        Assert.DoesNotContain("Drain queued", downed.Process.OutputText);
        await Wait.UntilAsync(async () => !(await LoopbackCluster.MembersAsync(cluster.Nodes[1])).ContainsKey(downed.Address), limit: TimeSpan.FromSeconds(15));
        foreach (var node in cluster.Nodes.Take(2))
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{node.Public}/hello")).StatusCode);
    }

    [Fact]
    public async Task A_node_killed_with_sigkill_is_marked_unreachable_then_downed_and_the_others_serve_on()
    {
        // down-unreachable-after: the split-brain resolver downs an unreachable node once the cluster is stable this long.
        await using var cluster = await LoopbackCluster.StartAsync(3, Body, "down-unreachable-after = 2s", output);
        var victim = cluster.Nodes[2];
        var survivors = new[] { cluster.Nodes[0], cluster.Nodes[1] };
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var loads = survivors.Select(n => new LoadLoops(n.Public, loops: 3, maxRequestsPerLoop: 4000)).ToList();
        var running = loads.Select(l => l.RunAsync(stop.Token)).ToList();
        await Task.Delay(500);

        var killed = Stopwatch.StartNew();
        victim.Process.Signal(GatewayProcess.SigKill);
        TimeSpan? unreachableAfter = null;
        await Wait.UntilAsync(async () =>
        {
            var view = await LoopbackCluster.ViewAsync(survivors[0]);
            var member = view.GetProperty("members").EnumerateArray().FirstOrDefault(m => m.GetProperty("address").GetString() == victim.Address);
            if (member.ValueKind != System.Text.Json.JsonValueKind.Undefined && !member.GetProperty("reachable").GetBoolean())
                unreachableAfter ??= killed.Elapsed;
            return member.ValueKind == System.Text.Json.JsonValueKind.Undefined;
        }, limit: TimeSpan.FromSeconds(30));
        var removedAfter = killed.Elapsed;
        // The other survivor learns it by gossip, a moment later.
        await Wait.UntilAsync(async () => !(await LoopbackCluster.MembersAsync(survivors[1])).ContainsKey(victim.Address), limit: TimeSpan.FromSeconds(15));
        await Task.Delay(500);
        stop.Cancel();
        await Task.WhenAll(running);

        output.WriteLine($"SIGKILL → unreachable in the view after {unreachableAfter?.TotalMilliseconds:0} ms, downed and removed after {removedAfter.TotalMilliseconds:0} ms");
        foreach (var (load, node) in loads.Zip(survivors)) output.WriteLine($"node {node.Index}: {load.Summary}");
        Assert.NotNull(unreachableAfter);
        Assert.All(loads, l => Assert.Empty(l.Failures));
        foreach (var survivor in survivors)
            await survivor.Process.WaitForLineAsync($"Cluster member {System.Text.RegularExpressions.Regex.Escape(victim.Address)}: removed", TimeSpan.FromSeconds(10));
        var members = await LoopbackCluster.MembersAsync(survivors[1]);
        Assert.Equal(2, members.Count);
        Assert.All(members.Values, s => Assert.Equal("Up", s));
    }
}

/// <summary>
/// Cluster tests start several gateway processes each, under load: they run one after another, and apart from the
/// other tests (which they would starve of CPU on a small machine, and be slowed by).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
