using System.Text.Json;
using Gateway.Tests.Grpc.Proto;
using Gateway.Tests.Support;
using Grpc.Core;
using Xunit;

namespace Gateway.Tests.Grpc;

/// <summary>
/// The gRPC status of every call, whether the upstream or the gateway itself answered it, is counted by route and
/// code (<c>gateway_grpc_responses_total</c>) and written in the call's access log line (<c>grpcStatus</c>).
/// </summary>
public sealed class GrpcStatusTelemetryTests
{
    [Fact]
    public async Task Calls_are_counted_by_route_and_grpc_status_and_logged_with_it()
    {
        await using var server = await GrpcTestServer.StartAsync("backend");
        var log = Path.Combine(Path.GetTempPath(), $"gateway-grpc-access-{Guid.NewGuid():N}.log");
        try
        {
            await using var gateway = await InProcessGateway.StartAsync($$"""
                gateway {
                  listeners.public { address = "127.0.0.1:0" }
                  admin.address = "127.0.0.1:0"
                  access-log.path = "{{log}}"
                  upstreams.grpc { endpoints = ["{{server.Endpoint()}}"] }
                  upstreams.gone { endpoints = ["h2c://127.0.0.1:{{Ports.Closed()}}"], connect-timeout = 2s }
                  routes.fail { listener = public, path-prefix = "/gateway.tests.Echo/Fail", upstream = grpc }
                  routes.echo { listener = public, path-prefix = "/gateway.tests.Echo/Unary", upstream = grpc }
                  routes.gone { listener = public, path-prefix = "/gateway.tests.Echo/ServerStream", upstream = gone }
                }
                """);
            using var channel = GrpcClients.Channel(gateway.Listener());
            var client = GrpcClients.Echo(channel);
            for (var i = 0; i < 2; i++) await client.UnaryAsync(new Message { Text = "hi" });
            var notFound = await Assert.ThrowsAsync<RpcException>(async () => await client.FailAsync(new FailRequest { Code = (int)StatusCode.NotFound, Detail = "no such order" }));
            Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
            using var unreachable = client.ServerStream(new StreamRequest { Count = 1 });
            Assert.Equal(StatusCode.Unavailable, (await Assert.ThrowsAsync<RpcException>(() => unreachable.ResponseStream.MoveNext())).StatusCode);
            using (var http = new HttpClient())
                await http.GetAsync(new Uri(gateway.Listener(), "/not-grpc"));

            using var admin = new HttpClient();
            var metrics = await admin.GetStringAsync(new Uri(gateway.Admin, "/metrics"));
            Assert.Equal(2, Metrics.Sum(metrics, "gateway_grpc_responses_total", "route=\"echo\"", "code=\"OK\""));
            Assert.Equal(1, Metrics.Sum(metrics, "gateway_grpc_responses_total", "route=\"fail\"", "code=\"NOT_FOUND\""));
            Assert.Equal(1, Metrics.Sum(metrics, "gateway_grpc_responses_total", "route=\"gone\"", "code=\"UNAVAILABLE\""));
            Assert.Equal(4, Metrics.Sum(metrics, "gateway_grpc_responses_total"));

            // The log is written in batches: wait for the last request's line.
            string[] lines = [];
            await Wait.UntilAsync(() => (lines = File.Exists(log) ? File.ReadAllLines(log) : []).Any(l => l.Contains("/not-grpc")));
            var byPath = lines.Select(l => JsonDocument.Parse(l).RootElement).ToLookup(e => e.GetProperty("path").GetString()!);
            Assert.All(byPath["/gateway.tests.Echo/Unary"], e => Assert.Equal(0, e.GetProperty("grpcStatus").GetInt32()));
            Assert.Equal(5, byPath["/gateway.tests.Echo/Fail"].Single().GetProperty("grpcStatus").GetInt32());
            Assert.Equal(14, byPath["/gateway.tests.Echo/ServerStream"].Single().GetProperty("grpcStatus").GetInt32());
            Assert.False(byPath["/not-grpc"].Single().TryGetProperty("grpcStatus", out _), "a request that is no gRPC call has no grpcStatus");
        }
        finally
        {
            File.Delete(log);
        }
    }
}
