using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Grpc.Proto;
using Gateway.Tests.Support;
using Google.Protobuf;
using Grpc.Core;
using Xunit;

namespace Gateway.Tests.Grpc;

/// <summary>
/// A failure the gateway itself produces reaches a gRPC client as a gRPC status with the reason (a trailers-only
/// response), never as an HTTP error with a text body: each cause mapped to its status.
/// </summary>
public sealed class GatewayStatusTests
{
    private static async Task<InProcessGateway> GatewayAsync(string upstreams, string extra = "") =>
        await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              {{upstreams}}
              routes.echo { listener = public, path-prefix = "/gateway.tests.Echo", upstream = grpc }
              {{extra}}
            }
            """);

    private static int ClosedPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port; // bound, never listening: connections are refused
    }

    private static async Task<RpcException> CallFailsAsync(InProcessGateway gateway, Message? message = null)
    {
        using var channel = GrpcClients.Channel(gateway.Listener());
        return await Assert.ThrowsAsync<RpcException>(() => GrpcClients.Echo(channel).UnaryAsync(message ?? new Message { Text = "x" }).ResponseAsync);
    }

    [Fact]
    public async Task A_refused_upstream_is_UNAVAILABLE_with_the_reason()
    {
        await using var gateway = await GatewayAsync($$"""upstreams.grpc { endpoints = ["h2c://127.0.0.1:{{ClosedPort()}}"] }""");
        var failure = await CallFailsAsync(gateway);
        Assert.Equal(StatusCode.Unavailable, failure.StatusCode);
        Assert.Contains("upstream grpc", failure.Status.Detail);
        Assert.Contains("refused", failure.Status.Detail, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_upstream_slower_than_its_response_timeout_is_DEADLINE_EXCEEDED()
    {
        await using var hanging = await HangingUpstream.StartAsync();
        await using var gateway = await GatewayAsync($$"""upstreams.grpc { endpoints = ["h2c://127.0.0.1:{{hanging.Port}}"], response-timeout = 300ms }""");
        var failure = await CallFailsAsync(gateway);
        Assert.Equal(StatusCode.DeadlineExceeded, failure.StatusCode);
        Assert.Contains("did not answer within 0.3s", failure.Status.Detail);
    }

    [Fact]
    public async Task The_calls_grpc_timeout_is_its_response_timeout()
    {
        await using var hanging = await HangingUpstream.StartAsync();
        // The upstream's own response timeout (120s) is far beyond what this test waits: only grpc-timeout can end it.
        await using var gateway = await GatewayAsync($$"""upstreams.grpc { endpoints = ["h2c://127.0.0.1:{{hanging.Port}}"], response-timeout = 120s }""");
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway.Listener(), "/gateway.tests.Echo/Unary"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([0, 0, 0, 0, 0]), // one empty message
        };
        request.Content.Headers.ContentType = new("application/grpc");
        request.Headers.TryAddWithoutValidation("grpc-timeout", "400m");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("4", response.Headers.GetValues("grpc-status").Single()); // trailers-only: the status is in the headers
        Assert.Equal("upstream grpc did not answer within the call's deadline (0.4s, grpc-timeout)", Uri.UnescapeDataString(response.Headers.GetValues("grpc-message").Single()));
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(1, hanging.Requests);
    }

    [Fact]
    public async Task A_method_no_route_serves_is_UNIMPLEMENTED()
    {
        await using var gateway = await InProcessGateway.StartAsync("""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              routes.other { listener = public, path-prefix = "/other", direct-response { status = 200, body = "other" } }
            }
            """);
        var failure = await CallFailsAsync(gateway);
        Assert.Equal(StatusCode.Unimplemented, failure.StatusCode);
        Assert.Contains("no route", failure.Status.Detail);
    }

    [Fact]
    public async Task A_call_over_a_limit_is_RESOURCE_EXHAUSTED_and_never_reaches_the_upstream()
    {
        await using var server = await GrpcTestServer.StartAsync();
        await using var gateway = await GatewayAsync($$"""upstreams.grpc { endpoints = ["{{server.Endpoint()}}"] }""", "limits.max-body-bytes = 1KiB");
        var failure = await CallFailsAsync(gateway, new Message { Payload = ByteString.CopyFrom(new byte[4096]) });
        Assert.Equal(StatusCode.ResourceExhausted, failure.StatusCode);
        Assert.Contains("1024 bytes", failure.Status.Detail);
        Assert.Equal(0, server.Calls);
    }
}
