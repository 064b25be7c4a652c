using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Grpc;

/// <summary>
/// Hot restarts of a real gateway process under gRPC load (unary loops and server-streaming calls): calls in flight
/// finish on the old generation, new calls go to the new one, and no call fails.
/// </summary>
public sealed class GrpcHotRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private GrpcTestServer _server = null!;
    private readonly List<GatewayProcess> _processes = [];

    public async Task InitializeAsync() => _server = await GrpcTestServer.StartAsync("backend");

    public async Task DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Three_hot_restarts_under_grpc_load_fail_no_call()
    {
        var first = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.grpc { endpoints = ["{{_server.Endpoint()}}"] }
              routes.echo { listener = public, path-prefix = "/", upstream = grpc }
              drain { deadline = 20s }
            }
            """);
        _processes.Add(first);
        var endpoint = (await first.WaitUntilReadyAsync())["public"];
        var load = new GrpcLoad(new Uri($"http://{endpoint}"), unaryLoops: 4, maxUnaryPerLoop: 5000, streamLoops: 3, maxStreamsPerLoop: 200, messagesPerStream: 10, streamIntervalMs: 50);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var running = load.RunAsync(stop.Token);

        var current = first;
        var old = new List<GatewayProcess>();
        for (var restart = 0; restart < 3; restart++)
        {
            await Task.Delay(1500);
            var next = GatewayProcess.StartWithConfigFile(current.ConfigPath!, "--hot-restart");
            _processes.Add(next);
            await next.WaitForLineAsync(@"Hot restart: generation \d+ serves", TimeSpan.FromSeconds(30));
            await next.WaitUntilReadyAsync();
            old.Add(current);
            current = next;
        }
        foreach (var process in old)
            Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await Task.Delay(1000);
        stop.Cancel();
        await running;

        output.WriteLine(load.Summary);
        Assert.Empty(load.Failures);
        Assert.True(load.UnaryOk > 500 && load.StreamsOk > 30, load.Summary);
        Assert.Equal(["1", "2", "3", "4"], load.Generations.Keys.Order());
    }
}
