using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Grpc.Proto;
using Gateway.Tests.Support;
using Grpc.Core;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Grpc;

/// <summary>
/// SIGTERM to a real gateway process with 20 server-streaming gRPC calls in flight: the calls count as streams, the
/// client gets GOAWAY, new calls after the unbind are refused at connect, and each call either runs to its end
/// (keep-until-deadline) or is ended the gRPC way — UNAVAILABLE "draining", never a reset — when its route's
/// graceful-close grace has passed; the process exits 0 as soon as they are done.
/// </summary>
public sealed class GrpcSigtermDrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Calls = 20;
    private GrpcTestServer _server = null!;

    public async Task InitializeAsync() => _server = await GrpcTestServer.StartAsync("backend");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private string Config(string streams) => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.grpc { endpoints = ["{{_server.Endpoint()}}"] }
          routes.echo { listener = public, path-prefix = "/", upstream = grpc, streams { {{streams}} } }
          drain { announce = 0s, deadline = 30s }
        }
        """;

    private sealed record CallResult(int Messages, int MessagesAfterSignal, StatusCode Status, string Detail, DateTime EndedAt);

    /// <summary>Starts the calls, waits until the gateway counts each as a stream, sends SIGTERM; returns the results.</summary>
    private async Task<(List<CallResult> Results, DateTime SignalledAt, GatewayProcess Gateway)> DrainWithCallsAsync(string streams, int messagesPerCall)
    {
        var gateway = GatewayProcess.StartWithConfig(Config(streams));
        var addresses = await gateway.WaitUntilReadyAsync();
        var endpoint = addresses["public"];
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}"), Timeout = TimeSpan.FromSeconds(10) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var channel = GrpcClients.Channel(new Uri($"http://{endpoint}"));
        var client = GrpcClients.Echo(channel);
        long signalledTicks = long.MaxValue;

        var running = Enumerable.Range(0, Calls).Select(async _ =>
        {
            using var call = client.ServerStream(new StreamRequest { Count = messagesPerCall, IntervalMs = 100 });
            int messages = 0, afterSignal = 0;
            try
            {
                await foreach (var __ in call.ResponseStream.ReadAllAsync(timeout.Token))
                {
                    messages++;
                    if (DateTime.UtcNow.Ticks > Interlocked.Read(ref signalledTicks)) afterSignal++;
                }
                return new CallResult(messages, afterSignal, StatusCode.OK, "", DateTime.UtcNow);
            }
            catch (RpcException e)
            {
                return new CallResult(messages, afterSignal, e.StatusCode, e.Status.Detail, DateTime.UtcNow);
            }
        }).ToList();
        await Wait.UntilAsync(async () => (await admin.GetStringAsync("/drain", timeout.Token)).Contains($"\"streams\":{Calls}"), timeout.Token);

        var signalledAt = DateTime.UtcNow;
        Interlocked.Exchange(ref signalledTicks, signalledAt.Ticks);
        gateway.Signal(GatewayProcess.SigTerm);
        await Wait.UntilAsync(async () => (await admin.GetAsync("/ready", timeout.Token)).StatusCode == HttpStatusCode.ServiceUnavailable, timeout.Token);

        // New calls after the unbind are refused at connect: the client sees UNAVAILABLE from its own connect attempt.
        await Wait.UntilAsync(() => Raw.IsRefusedAsync(endpoint), timeout.Token);
        using (var late = GrpcClients.Channel(new Uri($"http://{endpoint}")))
        {
            var refused = await Assert.ThrowsAsync<RpcException>(() => GrpcClients.Echo(late).UnaryAsync(new Message { Text = "late" }).ResponseAsync);
            Assert.Equal(StatusCode.Unavailable, refused.StatusCode);
            Assert.IsType<SocketException>(refused.Status.DebugException?.GetBaseException());
        }

        var results = (await Task.WhenAll(running)).ToList();
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        output.WriteLine(string.Join("\n", results.Select(r => $"{r.Messages} messages ({r.MessagesAfterSignal} after the signal), {r.Status} {r.Detail}, ended {(r.EndedAt - signalledAt).TotalSeconds:0.00}s after it")));
        return (results, signalledAt, gateway);
    }

    [Fact]
    public async Task With_keep_until_deadline_every_streaming_call_runs_to_its_end_and_the_gateway_exits_0()
    {
        var (results, _, gateway) = await DrainWithCallsAsync("on-drain = keep-until-deadline", messagesPerCall: 30);
        await using (gateway)
        {
            Assert.All(results, r => Assert.Equal((30, StatusCode.OK), (r.Messages, r.Status)));
            Assert.All(results, r => Assert.True(r.MessagesAfterSignal > 0)); // they ran on after the signal
            Assert.Contains("0 forced", gateway.OutputText);
        }
    }

    [Fact]
    public async Task With_graceful_close_every_streaming_call_ends_UNAVAILABLE_draining_after_its_grace()
    {
        var (results, signalledAt, gateway) = await DrainWithCallsAsync("on-drain = graceful-close, grace = 1s", messagesPerCall: 1000);
        await using (gateway)
        {
            Assert.All(results, r =>
            {
                Assert.Equal(StatusCode.Unavailable, r.Status);
                Assert.Contains("draining", r.Detail);
                Assert.True(r.EndedAt >= signalledAt.AddSeconds(1), "the goodbye comes when the grace has passed, not before");
                Assert.True(r.MessagesAfterSignal > 0 && r.Messages < 1000);
            });
            // Ended by the goodbye, not by the deadline (30s): the gateway left as soon as they were done.
            Assert.True(await gateway.Exited < signalledAt.AddSeconds(20), "exit follows the goodbye, not the deadline");
            Assert.Contains("0 forced", gateway.OutputText);
        }
    }
}
