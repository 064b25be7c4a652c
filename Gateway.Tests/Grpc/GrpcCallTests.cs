using Gateway.Tests.Grpc.Proto;
using Gateway.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace Gateway.Tests.Grpc;

/// <summary>
/// Real gRPC calls (Grpc.Net.Client) through the gateway to a real gRPC server (Grpc.AspNetCore) spoken to in
/// cleartext HTTP/2 (<c>h2c://</c>): every call kind, statuses with their messages and binary trailers, deadlines,
/// large messages.
/// </summary>
public sealed class GrpcCallTests : IAsyncLifetime
{
    private GrpcTestServer _server = null!;
    private InProcessGateway _gateway = null!;
    private global::Grpc.Net.Client.GrpcChannel _channel = null!;
    private Echo.EchoClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await GrpcTestServer.StartAsync("backend");
        _gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.grpc { endpoints = ["{{_server.Endpoint()}}"] }
              routes.echo { listener = public, path-prefix = "/gateway.tests.Echo", upstream = grpc }
            }
            """);
        _channel = GrpcClients.Channel(_gateway.Listener());
        _client = GrpcClients.Echo(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _gateway.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_unary_call_passes_with_its_headers_and_TE_trailers_kept()
    {
        using var call = _client.UnaryAsync(new Message { Text = "hi" }, new Metadata { { "x-caller", "test" } });
        Assert.Equal("backend: hi", (await call).Text);
        Assert.Equal("backend", (await call.ResponseHeadersAsync).GetValue("served-by"));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
        Assert.Equal("test", _server.Service.LastHeaders!.GetValue("x-caller"));
        Assert.Equal("trailers", _server.Service.LastTe);
    }

    [Fact]
    public async Task A_server_streaming_call_relays_every_message_then_the_status()
    {
        using var call = _client.ServerStream(new StreamRequest { Count = 5, IntervalMs = 10 });
        var texts = new List<string>();
        await foreach (var message in call.ResponseStream.ReadAllAsync()) texts.Add(message.Text);
        Assert.Equal(["backend 0", "backend 1", "backend 2", "backend 3", "backend 4"], texts);
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Fact]
    public async Task A_client_streaming_call_relays_every_message()
    {
        using var call = _client.ClientStream();
        for (var i = 0; i < 20; i++) await call.RequestStream.WriteAsync(new Message { Payload = ByteString.CopyFrom(new byte[1000]) });
        await call.RequestStream.CompleteAsync();
        Assert.Equal("backend: 20 messages, 20000 bytes", (await call).Text);
    }

    [Fact]
    public async Task A_bidirectional_call_answers_each_message_before_the_next_is_sent()
    {
        using var call = _client.Bidi();
        for (var i = 0; i < 10; i++)
        {
            await call.RequestStream.WriteAsync(new Message { Text = $"ping {i}" });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal($"backend: ping {i}", call.ResponseStream.Current.Text);
        }
        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData(StatusCode.NotFound, "no such thing")]
    [InlineData(StatusCode.PermissionDenied, "not yours: ünïcödé, 100% sure")]
    [InlineData(StatusCode.Unavailable, "try elsewhere")]
    public async Task An_upstream_status_arrives_with_its_message_and_binary_trailers(StatusCode code, string detail)
    {
        byte[] binary = [0, 1, 2, 0xFE, 0xFF, (byte)'\n'];
        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            _client.FailAsync(new FailRequest { Code = (int)code, Detail = detail, BinaryTrailer = ByteString.CopyFrom(binary) }).ResponseAsync);
        Assert.Equal(code, failure.StatusCode);
        Assert.Equal(detail, failure.Status.Detail);
        Assert.Equal(binary, failure.Trailers.GetValueBytes("detail-bin"));
        Assert.Equal("backend", failure.Trailers.GetValue("served-by"));
    }

    [Fact]
    public async Task A_deadline_ends_a_call_that_outlives_it_with_DEADLINE_EXCEEDED()
    {
        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            _client.UnaryAsync(new Message { Text = "late", SleepMs = 3000 }, deadline: DateTime.UtcNow.AddMilliseconds(300)).ResponseAsync);
        Assert.Equal(StatusCode.DeadlineExceeded, failure.StatusCode);
        // Within the deadline the same call passes.
        Assert.Equal("backend: soon", (await _client.UnaryAsync(new Message { Text = "soon", SleepMs = 50 }, deadline: DateTime.UtcNow.AddSeconds(10))).Text);
    }

    [Fact]
    public async Task Ten_megabyte_messages_pass_both_ways()
    {
        var payload = new byte[10 * 1024 * 1024];
        Random.Shared.NextBytes(payload);
        var echoed = await _client.UnaryAsync(new Message { Text = "big", Payload = ByteString.CopyFrom(payload) });
        Assert.True(echoed.Payload.Span.SequenceEqual(payload));

        using var call = _client.ServerStream(new StreamRequest { Count = 2, PayloadBytes = 10 * 1024 * 1024 });
        var sizes = new List<int>();
        await foreach (var message in call.ResponseStream.ReadAllAsync()) sizes.Add(message.Payload.Length);
        Assert.Equal([10 * 1024 * 1024, 10 * 1024 * 1024], sizes);
    }
}
