using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Grpc;

/// <summary>
/// A gRPC upstream that shuts down gracefully (GOAWAY to the gateway's connections, its calls in flight finish, then
/// its port closes) beside a second endpoint loses no call: a call it refused — above its GOAWAY's last stream id,
/// by REFUSED_STREAM, or at connect — provably was not processed and is sent again to the other endpoint.
/// </summary>
public sealed class UpstreamShutdownTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_upstream_grpc_server_shutting_down_mid_load_fails_no_call()
    {
        var leaving = await GrpcTestServer.StartAsync("leaving");
        await using var staying = await GrpcTestServer.StartAsync("staying");
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.grpc { endpoints = ["{{leaving.Endpoint()}}", "{{staying.Endpoint()}}"] }
              routes.echo { listener = public, path-prefix = "/", upstream = grpc }
            }
            """);
        var load = new GrpcLoad(gateway.Listener(), unaryLoops: 6, maxUnaryPerLoop: 600, streamLoops: 2, maxStreamsPerLoop: 20, messagesPerStream: 10, streamIntervalMs: 20);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var running = load.RunAsync(stop.Token);
        await Wait.UntilAsync(() => Task.FromResult(leaving.Calls >= 200), stop.Token);
        await leaving.DisposeAsync(); // graceful: GOAWAY, its calls finish, then the port is closed
        var callsOnLeaving = leaving.Calls;
        await running;

        output.WriteLine($"gRPC upstream left mid-load after {callsOnLeaving} calls: {load.Summary}");
        Assert.Empty(load.Failures);
        Assert.Equal(6 * 600, load.UnaryOk);
        Assert.Equal(2 * 20, load.StreamsOk);
        Assert.True(staying.Calls > 0);
    }
}

/// <summary>
/// The two HTTP/2 refusals, each on its own: a call refused by REFUSED_STREAM or by a GOAWAY below its stream is sent
/// again to the other endpoint, and processed there exactly once.
/// </summary>
public sealed class UpstreamRefusalTests
{
    [Theory]
    [InlineData(RefusingHttp2Upstream.Refusal.RefusedStream)]
    [InlineData(RefusingHttp2Upstream.Refusal.GoAway)]
    public async Task A_call_the_upstream_refused_is_processed_once_on_the_other_endpoint(RefusingHttp2Upstream.Refusal refusal)
    {
        await using var refusing = new RefusingHttp2Upstream(refusal);
        await using var server = await GrpcTestServer.StartAsync("accepting");
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.grpc { endpoints = ["h2c://127.0.0.1:{{refusing.Port}}", "{{server.Endpoint()}}"], eject-for = 0s }
              routes.echo { listener = public, path-prefix = "/", upstream = grpc }
            }
            """);
        using var channel = GrpcClients.Channel(gateway.Listener());
        var client = GrpcClients.Echo(channel);
        for (var i = 0; i < 10; i++)
            Assert.Equal($"accepting: call {i}", (await client.UnaryAsync(new Proto.Message { Text = $"call {i}" })).Text);
        Assert.True(refusing.Refused >= 5, $"refused {refusing.Refused}");
        Assert.Equal(10, server.Calls);
    }
}
