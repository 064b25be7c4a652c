using Gateway.Tests.Grpc.Proto;
using Gateway.Tests.Support;
using Grpc.Core;
using Xunit;

namespace Gateway.Tests.Grpc;

/// <summary>
/// A server-streaming call is streamed through the gateway, not buffered: the client reads message 1 while the
/// server, held at a gate after writing it, has not written message 2 (only the client's read opens the gate).
/// </summary>
public sealed class GrpcServerStreamingTests
{
    [Fact]
    public async Task The_client_gets_the_first_message_before_the_server_writes_the_second()
    {
        await using var server = await GrpcTestServer.StartAsync("backend");
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.grpc { endpoints = ["{{server.Endpoint()}}"] }
              routes.echo { listener = public, path-prefix = "/gateway.tests.Echo", upstream = grpc }
            }
            """);
        using var channel = GrpcClients.Channel(gateway.Listener());
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Service.StreamGate = gate;
        // A bound for a gateway that buffers: the first read would then wait for a gate that only that read opens.
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var call = GrpcClients.Echo(channel).ServerStream(new StreamRequest { Count = 3 }, cancellationToken: limit.Token);

        Assert.True(await call.ResponseStream.MoveNext(limit.Token));
        Assert.Equal("backend 0", call.ResponseStream.Current.Text);
        Assert.Equal(1, server.Service.StreamMessagesWritten);  // held at the gate: message 2 is not written yet

        gate.SetResult();
        var rest = new List<string>();
        while (await call.ResponseStream.MoveNext(limit.Token)) rest.Add(call.ResponseStream.Current.Text);
        Assert.Equal(["backend 1", "backend 2"], rest);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }
}
