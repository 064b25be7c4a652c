using Gateway.Configuration;
using Xunit;

namespace Gateway.Tests.Configuration;

/// <summary>The keys that say what an upstream is told about the client: read with safe defaults, misuse reported.</summary>
public sealed class ForwardingConfigTests
{
    /// <summary>A valid listener and upstream to build the cases on.</summary>
    private const string T = """
        gateway.listeners.public.address = "127.0.0.1:0"
        gateway.upstreams.app.endpoints = ["127.0.0.1:9001"]

        """;

    [Fact]
    public void Forwarding_defaults_to_replace_with_the_upstreams_own_host_and_via_to_the_host_name()
    {
        var settings = GatewayConfigLoader.Parse(T + "gateway.routes.app { listener = public, upstream = app }", "f.conf");

        Assert.Equal(ForwardingSettings.Default, settings.Routes.Single().Forwarding);
        Assert.Equal(GatewaySettings.DefaultViaName, settings.ViaName);
        Assert.True(GatewaySettings.IsToken(GatewaySettings.DefaultViaName));
    }

    [Fact]
    public void Every_forwarding_key_is_read()
    {
        var settings = GatewayConfigLoader.Parse(T + """
            gateway.via-name = edge-1
            gateway.routes.a { listener = public, path-prefix = "/a", upstream = app, forwarded-headers = append, trusted-proxies = ["10.0.0.0/8", "192.168.1.7", "fd00::/8"] }
            gateway.routes.o { listener = public, path-prefix = "/o", upstream = app, forwarded-headers = off, preserve-host = on }
            """, "f.conf");

        Assert.Equal("edge-1", settings.ViaName);
        var append = settings.Routes.Single(r => r.Name == "a").Forwarding;
        Assert.Equal((ForwardedHeadersMode.Append, false), (append.ForwardedHeaders, append.PreserveHost));
        Assert.Equal(["10.0.0.0/8", "192.168.1.7", "fd00::/8"], append.TrustedProxies);
        var off = settings.Routes.Single(r => r.Name == "o").Forwarding;
        Assert.Equal((ForwardedHeadersMode.Off, true), (off.ForwardedHeaders, off.PreserveHost));
    }

    public static TheoryData<string, string, string, string> InvalidForwardingConfigs => new()
    {
        { "unknown mode", T + "gateway.routes.a { listener = public, upstream = app, forwarded-headers = keep }", "gateway.routes.a.forwarded-headers", "\"keep\" is not a mode: write replace, append or off" },
        { "trusted proxies without append", T + "gateway.routes.a { listener = public, upstream = app, trusted-proxies = [\"10.0.0.0/8\"] }", "gateway.routes.a.trusted-proxies", "only used with forwarded-headers = append" },
        { "trusted proxies not a list", T + "gateway.routes.a { listener = public, upstream = app, forwarded-headers = append, trusted-proxies = \"10.0.0.0/8\" }", "gateway.routes.a.trusted-proxies", "must be a list of CIDR ranges" },
        { "not a range", T + "gateway.routes.a { listener = public, upstream = app, forwarded-headers = append, trusted-proxies = [\"10.0.0.0/33\"] }", "gateway.routes.a.trusted-proxies", "\"10.0.0.0/33\" is not an address range" },
        { "host bits in a range", T + "gateway.routes.a { listener = public, upstream = app, forwarded-headers = append, trusted-proxies = [\"10.1.2.3/8\"] }", "gateway.routes.a.trusted-proxies", "\"10.1.2.3/8\" is not an address range" },
        { "preserve-host not on or off", T + "gateway.routes.a { listener = public, upstream = app, preserve-host = maybe }", "gateway.routes.a.preserve-host", "\"maybe\" is not on or off" },
        { "via name with a space", T + "gateway.via-name = \"edge 1\"\ngateway.routes.a { listener = public, upstream = app }", "gateway.via-name", "cannot be a Via name" },
        { "misspelt key", T + "gateway.routes.a { listener = public, upstream = app, forwarded-header = off }", "gateway.routes.a.forwarded-header", "did you mean `forwarded-headers`?" },
    };

    [Theory]
    [MemberData(nameof(InvalidForwardingConfigs))]
    public void An_invalid_forwarding_key_names_the_file_the_key_and_the_problem(string @case, string hocon, string key, string problem)
    {
        var error = Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Parse(hocon, "/etc/gateway/bad.conf"));

        var match = error.Problems.FirstOrDefault(p => p.Key == key);
        Assert.True(match is not null, $"{@case}: no problem at {key}: {error.Message}");
        Assert.Contains(problem, match.Problem);
    }
}
