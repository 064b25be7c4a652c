using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.HotRestart;

/// <summary>
/// SIGKILL of the old generation while it drains after a hot restart: the listening sockets are the new generation's
/// too, so the new one serves on and no request started after the kill fails.
/// </summary>
public sealed class OldGenerationKillTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int SigKill = 9;
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task SIGKILL_of_the_draining_old_generation_leaves_the_new_one_serving_with_no_failed_request_after_the_kill()
    {
        await using var first = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
              routes.app    { listener = public, path-prefix = "/", upstream = app }
              drain { deadline = 30s }
            }
            """);
        var endpoint = (await first.WaitUntilReadyAsync())["public"];
        var clock = Stopwatch.StartNew();
        var results = new ConcurrentQueue<(TimeSpan Started, int Generation, string? Failure)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var load = Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => LoopAsync(endpoint, clock, results, stop.Token))));
        await Wait.UntilAsync(() => results.Count > 200);
        // A slow request keeps the old generation draining until it is killed (it is cut by the kill: started before it).
        using var slowClient = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var upstreamBefore = _upstream.Requests;
        using var cutSlow = new CancellationTokenSource();
        var slow = slowClient.GetAsync($"http://{endpoint}/slow?ms=20000", cutSlow.Token);
        await Wait.UntilAsync(() => _upstream.Requests > upstreamBefore && _upstream.Completed.Count < _upstream.Requests);

        await using var second = GatewayProcess.StartWithConfigFile(first.ConfigPath!, "--hot-restart");
        await second.WaitForLineAsync(@"Hot restart: generation 2 serves", TimeSpan.FromSeconds(30));
        await second.WaitUntilReadyAsync();
        await Task.Delay(300);
        Assert.False(first.Exited.IsCompleted, "the old generation should still be draining");
        var killedAt = clock.Elapsed;
        GatewayProcess.Signal(first.Pid, SigKill);
        await first.WaitForExitAsync(TimeSpan.FromSeconds(10));
        // The kill is over once the process is gone: a request sent between the signal and that moment may still
        // have gone to the old generation's connection and been cut with it, like those before the signal.
        var goneAt = clock.Elapsed;
        await cutSlow.CancelAsync();
        await Record.ExceptionAsync(() => slow);
        var afterKill = results.Count;
        await Wait.UntilAsync(() => results.Count > afterKill + 1_000);
        await stop.CancelAsync();
        await load;

        var before = results.Where(r => r.Started < killedAt).ToList();
        var during = results.Where(r => r.Started >= killedAt && r.Started < goneAt).ToList();
        var after = results.Where(r => r.Started >= goneAt).ToList();
        output.WriteLine($"before the kill: {before.Count} requests, {before.Count(r => r.Failure is not null)} failed (in flight on the killed process); " +
                         $"while it was dying: {during.Count}, {during.Count(r => r.Failure is not null)} failed; " +
                         $"after: {after.Count} requests, by generation {string.Join(", ", after.GroupBy(r => r.Generation).Select(g => $"{g.Key}={g.Count()}"))}");
        Assert.Empty(after.Where(r => r.Failure is not null).Select(r => r.Failure));
        Assert.True(after.Count > 1_000);
        Assert.All(after, r => Assert.Equal(2, r.Generation));
        using var admin = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"http://{endpoint}/hello")).StatusCode);
        Assert.False(second.Exited.IsCompleted);
    }

    /// <summary>Keep-alive GETs back to back, each recorded with when it started, who answered, or why it failed.</summary>
    private static async Task LoopAsync(IPEndPoint endpoint, Stopwatch clock, ConcurrentQueue<(TimeSpan, int, string?)> results, CancellationToken stop)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
        for (var i = 0; i < 50_000 && !stop.IsCancellationRequested; i++)
        {
            var started = clock.Elapsed;
            try
            {
                using var response = await client.GetAsync($"http://{endpoint}/hello", CancellationToken.None);
                await response.Content.ReadAsStringAsync(CancellationToken.None);
                var generation = int.Parse(response.Headers.GetValues("Gateway-Generation").Single());
                results.Enqueue((started, generation, response.StatusCode == HttpStatusCode.OK ? null : $"{(int)response.StatusCode}"));
            }
            catch (Exception e)
            {
                results.Enqueue((started, 0, $"{e.GetType().Name}: {e.GetBaseException().Message}"));
            }
        }
    }
}
