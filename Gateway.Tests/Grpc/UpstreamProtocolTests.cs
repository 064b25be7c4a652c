using System.Net;
using Gateway.Tests.Grpc.Proto;
using Gateway.Tests.Support;
using Gateway.Tests.Tls;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gateway.Tests.Grpc;

/// <summary>
/// The endpoint's scheme picks the upstream protocol: <c>h2c://</c> HTTP/2 with prior knowledge, <c>https://</c> as
/// ALPN decides, <c>host:port</c> and <c>http://</c> HTTP/1.1. gRPC and trailers pass on every HTTP/2 path, over
/// cleartext and TLS on both sides; an HTTP/2 client still reaches an HTTP/1.1-only upstream.
/// </summary>
public sealed class UpstreamProtocolTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private async Task<InProcessGateway> GatewayAsync(string endpoint, bool tlsListener, string route = "/")
    {
        var (_, certificate, key) = _pki.Server("gateway", "localhost");
        var tls = tlsListener ? $$"""tls { certificate = "{{certificate}}", key = "{{key}}" }""" : "";
        var upstreamTls = endpoint.StartsWith("https", StringComparison.Ordinal) ? $$""", tls { ca = "{{_pki.CaFile}}" }""" : "";
        return await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0", {{tls}} }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{endpoint}}"]{{upstreamTls}} }
              routes.app { listener = public, path-prefix = "{{route}}", upstream = app }
            }
            """);
    }

    private static Uri Address(InProcessGateway gateway, bool tls) =>
        tls ? new Uri($"https://localhost:{gateway.Listener().Port}") : gateway.Listener();

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task Grpc_calls_and_their_trailers_pass_between_any_HTTP2_listener_and_upstream(bool tlsListener, bool tlsUpstream)
    {
        await using var server = await GrpcTestServer.StartAsync("backend", tlsUpstream ? _pki.Issue("upstream", ["localhost"]) : null);
        await using var gateway = await GatewayAsync(server.Endpoint(tlsUpstream), tlsListener);
        using var channel = GrpcClients.Channel(Address(gateway, tlsListener), _pki.Ca);
        var client = GrpcClients.Echo(channel);

        Assert.Equal("backend: one", (await client.UnaryAsync(new Message { Text = "one" })).Text);
        var failure = await Assert.ThrowsAsync<RpcException>(() =>
            client.FailAsync(new FailRequest { Code = (int)StatusCode.AlreadyExists, Detail = "taken", BinaryTrailer = ByteString.CopyFrom(7, 8, 9) }).ResponseAsync);
        Assert.Equal((StatusCode.AlreadyExists, "taken"), (failure.StatusCode, failure.Status.Detail));
        Assert.Equal([7, 8, 9], failure.Trailers.GetValueBytes("detail-bin"));

        using var bidi = client.Bidi();
        await bidi.RequestStream.WriteAsync(new Message { Text = "a" });
        Assert.True(await bidi.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal("backend: a", bidi.ResponseStream.Current.Text);
        await bidi.RequestStream.CompleteAsync();
        Assert.False(await bidi.ResponseStream.MoveNext(CancellationToken.None));
        Assert.Equal(StatusCode.OK, bidi.GetStatus().StatusCode);
    }

    [Theory]
    [InlineData("h2c", HttpProtocols.Http2, "HTTP/2")]
    [InlineData("http", HttpProtocols.Http1, "HTTP/1.1")]
    [InlineData("", HttpProtocols.Http1, "HTTP/1.1")]
    public async Task The_endpoint_scheme_picks_the_protocol_the_upstream_hears(string scheme, HttpProtocols serves, string heard)
    {
        await using var upstream = await ProtocolEcho.StartAsync(serves);
        await using var gateway = await GatewayAsync(scheme == "" ? $"127.0.0.1:{upstream.Port}" : $"{scheme}://127.0.0.1:{upstream.Port}", tlsListener: false);
        // An HTTP/1.1 client and an HTTP/2 one (prior knowledge): the upstream hears its own protocol either way.
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20 })
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false })
            {
                DefaultRequestVersion = version, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.GetAsync(new Uri(gateway.Listener(), "/protocol"));
            Assert.Equal(heard, await response.Content.ReadAsStringAsync());
            if (version == HttpVersion.Version20 && serves == HttpProtocols.Http2)
                Assert.Equal("end", response.TrailingHeaders.GetValues("x-trailer").Single()); // HTTP/2 ↔ HTTP/2: trailers pass
        }
    }

    [Fact]
    public async Task An_h2c_endpoint_never_falls_back_to_HTTP11()
    {
        await using var upstream = await ProtocolEcho.StartAsync(HttpProtocols.Http1);
        await using var gateway = await GatewayAsync($"h2c://127.0.0.1:{upstream.Port}", tlsListener: false);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        using var response = await client.GetAsync(new Uri(gateway.Listener(), "/protocol"));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(0, upstream.Served);
    }

    [Fact]
    public async Task An_https_endpoint_speaks_HTTP2_when_ALPN_offers_it_and_HTTP11_when_not()
    {
        var certificate = _pki.Issue("upstream", ["localhost"]);
        await using var both = await ProtocolEcho.StartAsync(HttpProtocols.Http1AndHttp2, certificate);
        await using var http1 = await ProtocolEcho.StartAsync(HttpProtocols.Http1, certificate);
        await using var toBoth = await GatewayAsync($"https://localhost:{both.Port}", tlsListener: false);
        await using var toHttp1 = await GatewayAsync($"https://localhost:{http1.Port}", tlsListener: false);
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        Assert.Equal("HTTP/2", await client.GetStringAsync(new Uri(toBoth.Listener(), "/protocol")));
        Assert.Equal("HTTP/1.1", await client.GetStringAsync(new Uri(toHttp1.Listener(), "/protocol")));
    }

    [Theory]
    [InlineData("h2c://127.0.0.1:9001", "h2c://127.0.0.1:9001/")]
    [InlineData("h2c://backend.test:5000/", "h2c://backend.test:5000/")]
    public void An_h2c_endpoint_is_read_with_its_port(string written, string read)
    {
        var settings = Gateway.Configuration.GatewayConfigLoader.Parse($$"""gateway { listeners.a.address = "127.0.0.1:0", upstreams.u.endpoints = ["{{written}}"] }""", "test.conf");
        Assert.Equal(new Uri(read), settings.Upstreams.Single().Endpoints.Single());
        Assert.Equal(Gateway.Upstreams.UpstreamProtocol.H2c, Gateway.Upstreams.UpstreamProtocols.Of(settings.Upstreams.Single().Endpoints.Single()));
    }

    [Fact]
    public void An_h2c_endpoint_without_a_port_is_refused_with_what_to_write()
    {
        var error = Assert.Throws<Gateway.Configuration.GatewayConfigException>(() =>
            Gateway.Configuration.GatewayConfigLoader.Parse("""gateway { listeners.a.address = "127.0.0.1:0", upstreams.u.endpoints = ["h2c://backend.test"] }""", "bad.conf"));
        Assert.Contains("gateway.upstreams.u.endpoints", error.Message);
        Assert.Contains("h2c://host:port", error.Message);
    }

    /// <summary>An upstream that answers with the protocol it heard the request in, and a trailer.</summary>
    private sealed class ProtocolEcho : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private int _served;

        private ProtocolEcho(WebApplication app) => _app = app;

        public int Port { get; private set; }
        public int Served => _served;

        public static async Task<ProtocolEcho> StartAsync(HttpProtocols protocols, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate = null)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l =>
            {
                l.Protocols = protocols;
                if (certificate is not null) l.UseHttps(certificate);
            }));
            var app = builder.Build();
            var echo = new ProtocolEcho(app);
            app.Run(async context =>
            {
                Interlocked.Increment(ref echo._served);
                await context.Response.WriteAsync(context.Request.Protocol);
                if (context.Response.SupportsTrailers()) context.Response.AppendTrailer("x-trailer", "end");
            });
            await app.StartAsync();
            echo.Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
            return echo;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
