using Gateway.Tests.Grpc.Proto;
using Gateway.Tests.Support;
using Grpc.Core;
using Xunit;

namespace Gateway.Tests.Grpc;

/// <summary>
/// Header hygiene on the gRPC path, as a real gRPC server sees a call through the gateway and a real client sees the
/// answer: hop-by-hop headers an HTTP/2 client can send (<c>Proxy-Authorization</c>, <c>Upgrade-Insecure-Requests</c>)
/// and one a server sends back (<c>Proxy-Authenticate</c>) stay on their hop, <c>TE: trailers</c> passes, metadata
/// passes, and the forwarding headers follow the route's policy: the client's dropped and replaced, or kept and
/// this hop appended.
/// </summary>
public sealed class GrpcHeaderHygieneTests
{
    [Theory]
    [InlineData("replace")]
    [InlineData("append")]
    public async Task A_call_reaches_the_server_without_hop_by_hop_headers_and_with_forwarding_headers_per_policy(string policy)
    {
        await using var server = await GrpcTestServer.StartAsync("backend");
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              via-name = "edge"
              upstreams.grpc { endpoints = ["{{server.Endpoint()}}"] }
              routes.echo { listener = public, path-prefix = "/gateway.tests.Echo", upstream = grpc, forwarded-headers = {{policy}} }
            }
            """);
        using var channel = GrpcClients.Channel(gateway.Listener());
        var metadata = new Metadata
        {
            { "proxy-authorization", "Basic c2VjcmV0" },
            { "upgrade-insecure-requests", "1" },
            { "x-forwarded-for", "6.6.6.6" },
            { "x-forwarded-host", "evil.example" },
            { "forwarded", "for=6.6.6.6" },
            { "x-real-ip", "6.6.6.6" },
            { "x-caller", "kept" },
            { "x-reply-with", "proxy-authenticate=Basic realm=\"upstream\"" },
        };
        using var call = GrpcClients.Echo(channel).UnaryAsync(new Message { Text = "hi" }, metadata);
        Assert.Equal("backend: hi", (await call).Text);
        var answer = await call.ResponseHeadersAsync;
        var seen = server.Service.LastHttpHeaders;
        var authority = gateway.Listener().Authority;

        Assert.DoesNotContain("proxy-authorization", seen.Keys);
        Assert.DoesNotContain("upgrade-insecure-requests", seen.Keys);
        Assert.Equal("trailers", seen["te"]);
        Assert.Equal("kept", seen["x-caller"]);
        Assert.Contains("edge", seen["via"]);
        Assert.Equal("http", seen["x-forwarded-proto"]);
        if (policy == "replace")
        {
            Assert.Equal("127.0.0.1", seen["x-forwarded-for"]);
            Assert.Equal(authority, seen["x-forwarded-host"]);
            Assert.DoesNotContain("forwarded", seen.Keys);
            Assert.DoesNotContain("x-real-ip", seen.Keys);
        }
        else
        {
            Assert.Equal("6.6.6.6, 127.0.0.1", seen["x-forwarded-for"]);
            Assert.Equal($"evil.example, {authority}", seen["x-forwarded-host"]);
            Assert.StartsWith("for=6.6.6.6, for=127.0.0.1;proto=http", seen["forwarded"]);
            Assert.Equal("6.6.6.6", seen["x-real-ip"]);
        }
        // The server's hop-by-hop answer header stays on its hop; its other headers come through.
        Assert.Null(answer.Get("proxy-authenticate"));
        Assert.Equal("backend", answer.GetValue("served-by"));
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }
}
