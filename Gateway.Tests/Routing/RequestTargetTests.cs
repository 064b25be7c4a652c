using System.Net;
using System.Text;
using Gateway.Routing;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Routing;

/// <summary>
/// A request target reaches the upstream byte for byte as the client wrote it — never decoded and encoded again —
/// after the one normalisation routing sees too (dot segments removed, <c>%2E</c> counted as a dot); routing matches
/// the decoded path, where <c>%2F</c> stays <c>%2F</c> and so never separates segments.
/// </summary>
public sealed class RequestTargetTests(RequestTargetTests.Fixture gateway, ITestOutputHelper output) : IClassFixture<RequestTargetTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public RecordingUpstream Api { get; } = RecordingUpstream.Start();
        public RecordingUpstream Root { get; } = RecordingUpstream.Start();
        public RecordingUpstream Internal { get; } = RecordingUpstream.Start();
        public InProcessGateway Gateway { get; private set; } = null!;
        public IPEndPoint Endpoint => IPEndPoint.Parse(Gateway.Listener().Authority);

        public async Task InitializeAsync() => Gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.api      { endpoints = ["{{Api.Endpoint}}"] }
              upstreams.root     { endpoints = ["{{Root.Endpoint}}"] }
              upstreams.internal { endpoints = ["{{Internal.Endpoint}}"] }
              routes.api      { listener = public, path-prefix = "/api", upstream = api }
              routes.root     { listener = public, path-prefix = "/", upstream = root }
              routes.internal { listener = public, path-prefix = "/", host = "internal.test", upstream = internal }
            }
            """);

        public async Task DisposeAsync()
        {
            await Gateway.DisposeAsync();
            await Api.DisposeAsync();
            await Root.DisposeAsync();
            await Internal.DisposeAsync();
        }

        public RecordingUpstream Route(string name) => name switch { "api" => Api, "root" => Root, _ => Internal };
    }

    public static TheoryData<string, string, string> Targets => new()
    {
        // target as sent, the route it must match, the target the upstream must receive
        { "/api/a%2Fb", "api", "/api/a%2Fb" },
        { "/api%2Fb", "root", "/api%2Fb" },                       // %2F is no segment separator: not under /api
        { "/api/a%2fb", "api", "/api/a%2fb" },
        { "/api/%FF", "api", "/api/%FF" },                        // not UTF-8: passed on, not re-encoded as %25FF
        { "/api/%25", "api", "/api/%25" },
        { "/api/%2525", "api", "/api/%2525" },
        { "/api/%25FF", "api", "/api/%25FF" },
        { "/api/a;b=1/c", "api", "/api/a;b=1/c" },
        { "/api/%ZZ", "api", "/api/%ZZ" },                        // not an escape at all: still not re-encoded
        { "/api;v=1/x", "root", "/api;v=1/x" },                   // ;v=1 is part of the segment "api;v=1"
        { "/x/../api/y", "api", "/api/y" },
        { "/x/%2e%2e/api/y", "api", "/api/y" },                   // %2E is a dot, as for Kestrel's routing
        { "/x/%2E./api/y", "api", "/api/y" },
        { "/api/./y/.", "api", "/api/y/" },
        { "/api/../../etc", "root", "/etc" },                     // never above the root
        { "/api/..%2Fetc", "api", "/api/..%2Fetc" },              // "..%2Fetc" is one segment, not a dot segment
        { "/api/%2e%2e%2fetc", "api", "/api/%2e%2e%2fetc" },
        { "/api/..;/etc", "api", "/api/..;/etc" },
        { "/%61pi/x", "api", "/%61pi/x" },                        // routing sees the decoded /api/x; the upstream the bytes
        { "/API/x", "root", "/API/x" },                           // prefixes match case-sensitively
        { "/api/x?q=%ZZ&p=..%2F&r=/../", "api", "/api/x?q=%ZZ&p=..%2F&r=/../" },   // the query is never touched
        { "http://gateway.test/api/x%2F?y", "api", "/api/x%2F?y" },               // absolute form: its path and query
        { "//api/../x", "root", "//x" },
        { "/api/a\"{}|^`b", "api", "/api/a\"{}|^`b" },                            // bytes Kestrel lets through pass as they are
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_target_reaches_its_route_byte_for_byte(string target, string route, string received)
    {
        var upstream = gateway.Route(route);
        var before = (gateway.Api.Requests.Count, gateway.Root.Requests.Count, gateway.Internal.Requests.Count);

        var reply = await HostileClient.ExchangeAsync(gateway.Endpoint, Encoding.Latin1.GetBytes($"GET {target} HTTP/1.1\r\nHost: gateway.test\r\n\r\n"),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(300));
        output.WriteLine(reply.Text);

        Assert.Equal(200, reply.Status);
        Assert.Equal($"GET {received} HTTP/1.1", (await upstream.NextAsync()).RequestLine);
        Assert.Equal(1, gateway.Api.Requests.Count + gateway.Root.Requests.Count + gateway.Internal.Requests.Count - before.Item1 - before.Item2 - before.Item3);
    }

    [Theory]
    [InlineData("internal.test")]
    [InlineData("internal.test.")]
    [InlineData("INTERNAL.Test.:8080")]
    public async Task A_host_route_matches_its_host_with_or_without_the_trailing_dot(string host)
    {
        var reply = await HostileClient.ExchangeAsync(gateway.Endpoint, Encoding.ASCII.GetBytes($"GET /x HTTP/1.1\r\nHost: {host}\r\n\r\n"),
            TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(300));

        Assert.Equal(200, reply.Status);
        Assert.Equal("GET /x HTTP/1.1", (await gateway.Internal.NextAsync()).RequestLine);
    }

    [Theory]
    [InlineData("/", "/")]
    [InlineData("/a/b/c", "/a/b/c")]
    [InlineData("/a/./b", "/a/b")]
    [InlineData("/a/.", "/a/")]
    [InlineData("/a/..", "/")]
    [InlineData("/..", "/")]
    [InlineData("/%2e", "/")]
    [InlineData("/a/b/%2E%2e", "/a/")]
    [InlineData("/a/b/../../../c", "/c")]
    [InlineData("/a/.../b", "/a/.../b")]
    [InlineData("/a/.b/b.", "/a/.b/b.")]
    [InlineData("/a//../b", "/a/b")]
    [InlineData("/a/..?x=/../", "/?x=/../")]
    [InlineData("/a%2F..%2Fb", "/a%2F..%2Fb")]
    public void Dot_segments_are_removed_as_RFC_3986_says_and_nothing_else_changes(string target, string expected) =>
        Assert.Equal(expected, RequestTarget.WithoutDotSegments(target));

    [Fact]
    public void A_target_without_dot_segments_is_the_same_string()
    {
        const string target = "/api/users/42?x=1";
        Assert.Same(target, RequestTarget.WithoutDotSegments(target));
    }
}
