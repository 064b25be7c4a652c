using System.Net;
using Gateway.Configuration;
using Xunit;

namespace Gateway.Tests.Configuration;

public sealed class GatewayConfigLoaderTests
{
    [Fact]
    public void The_embedded_default_runs_a_welcome_page_and_the_admin_api_on_loopback()
    {
        var settings = GatewayConfigLoader.Load(null);

        var listener = Assert.Single(settings.Listeners);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:8080"), listener.Address);
        var route = Assert.Single(settings.Routes);
        Assert.Equal(200, route.DirectResponse?.Status);
        Assert.Contains("--config", route.DirectResponse?.Body);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:15000"), settings.Admin.Address);
        Assert.Equal(new DrainSettings(TimeSpan.Zero, TimeSpan.FromSeconds(30)), settings.Drain);
        Assert.Equal(GatewayConfigLoader.EmbeddedDefaultName, settings.Source);
        Assert.Null(settings.IoThreads);  // auto
    }

    [Fact]
    public void Every_key_is_read_with_defaults_for_the_omitted_ones_and_akka_keys_pass_through()
    {
        var settings = GatewayConfigLoader.Parse("""
            gateway {
              listeners.a { address = "[::1]:9000" }
              listeners.b { address = "localhost:9001" }
              upstreams.api { endpoints = ["127.0.0.1:7000", "http://backend.test:80"], connect-timeout = 2s }
              upstreams.slow { endpoints = ["127.0.0.1:7001"], response-timeout = 1m }
              routes.api  { listener = a, path-prefix = "/api", host = "example.test", upstream = api }
              routes.home { listener = b, direct-response { status = 204, body = "" } }
              admin { address = "127.0.0.1:9100", token = "0123456789abcdef" }
              drain { announce = 2s, deadline = 45s }
              log.format = json
              io-threads = 3
            }
            akka.loglevel = DEBUG
            """, "full.conf");

        Assert.Equal(IPEndPoint.Parse("[::1]:9000"), settings.Listeners[0].Address);
        Assert.Equal(IPEndPoint.Parse("127.0.0.1:9001"), settings.Listeners[1].Address);
        var api = settings.Upstreams.Single(u => u.Name == "api");
        Assert.Equal(["http://127.0.0.1:7000/", "http://backend.test/"], api.Endpoints.Select(e => e.ToString()));
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30)), (api.ConnectTimeout, api.ResponseTimeout));
        var slow = settings.Upstreams.Single(u => u.Name == "slow");
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)), (slow.ConnectTimeout, slow.ResponseTimeout));
        var route = settings.Routes.Single(r => r.Name == "api");
        Assert.Equal(("a", "/api", "example.test", "api"), (route.Listener, route.PathPrefix, route.Host, route.Upstream));
        Assert.Equal("/", settings.Routes.Single(r => r.Name == "home").PathPrefix);
        Assert.Equal("0123456789abcdef", settings.Admin.Token);
        Assert.Equal(new DrainSettings(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(45)), settings.Drain);
        Assert.True(settings.JsonLogs);
        Assert.Equal(3, settings.IoThreads);
        Assert.Equal("DEBUG", settings.Hocon.GetString("akka.loglevel"));
    }

    [Fact]
    public void Limits_default_to_the_reference_values_and_a_listener_overrides_its_own()
    {
        var settings = GatewayConfigLoader.Parse("""
            gateway {
              listeners.a { address = "127.0.0.1:0" }
              listeners.b { address = "127.0.0.1:0", limits { max-connections = 10, max-body-bytes = 1KiB } }
              limits { max-header-bytes = 16KiB, header-timeout = 5s, min-body-bytes-per-second = 0 }
            }
            """, "limits.conf");

        Assert.Equal(LimitSettings.Default with { MaxHeaderBytes = 16 * 1024, HeaderTimeout = TimeSpan.FromSeconds(5), MinBodyBytesPerSecond = 0 }, settings.Limits);
        Assert.Equal(settings.Limits, settings.Listeners.Single(l => l.Name == "a").Limits);
        Assert.Equal(settings.Limits with { MaxConnections = 10, MaxBodyBytes = 1024 }, settings.Listeners.Single(l => l.Name == "b").Limits);
        Assert.Equal(LimitSettings.Default, GatewayConfigLoader.Load(null).Limits);
    }

    public static TheoryData<string, string, string, string> InvalidConfigs => new()
    {
        { "unresolved substitution", "gateway { listeners.a { address = ${missing} } }", "gateway.listeners.a.address", "${missing} is not set" },
        { "unknown key outside gateway", L + "drain.deadline = 5s\nrotues.r = 1", "rotues", "unknown key" },
        { "unknown key suggests the nearest", L + "routes.r { listener = a, path-prefx = \"/\", direct-response { status = 200 } }", "gateway.routes.r.path-prefx", "did you mean `path-prefix`?" },
        { "unknown top-level key", L + "listner.x = 1", "gateway.listner", "did you mean `listeners`?" },
        { "bad address", "gateway.listeners.a.address = \"127.0.0.1\"", "gateway.listeners.a.address", "is not an address" },
        { "port out of range", "gateway.listeners.a.address = \"127.0.0.1:70000\"", "gateway.listeners.a.address", "is not an address" },
        { "address not a string", "gateway.listeners.a.address = [1]", "gateway.listeners.a.address", "must be a string" },
        { "duplicate listener addresses", "gateway.listeners { a.address = \"127.0.0.1:9000\", b.address = \"127.0.0.1:9000\" }", "gateway.listeners.b.address", "already used by gateway.listeners.a.address" },
        { "admin on a listener's address", L.Replace("127.0.0.1:0", "127.0.0.1:9000") + "admin.address = \"127.0.0.1:9000\"", "gateway.admin.address", "already used" },
        { "route to an unknown upstream", L + "upstreams.api.endpoints = [\"127.0.0.1:1\"]\ngateway.routes.r { listener = a, upstream = apx }", "gateway.routes.r.upstream", "unknown upstream \"apx\" (known: api)" },
        { "route to an unknown listener", L + "routes.r { listener = b, direct-response { status = 200 } }", "gateway.routes.r.listener", "unknown listener \"b\"" },
        { "route with both actions", L + "upstreams.u.endpoints = [\"127.0.0.1:1\"]\ngateway.routes.r { listener = a, upstream = u, direct-response { status = 200 } }", "gateway.routes.r", "exactly one of" },
        { "route with no action", L + "routes.r { listener = a }", "gateway.routes.r", "exactly one of" },
        { "path prefix without slash", L + "routes.r { listener = a, path-prefix = api, direct-response { status = 200 } }", "gateway.routes.r.path-prefix", "must start with /" },
        { "empty endpoints", L + "upstreams.u.endpoints = []", "gateway.upstreams.u.endpoints", "at least one endpoint" },
        { "endpoint without port", L + "upstreams.u.endpoints = [\"backend.test\"]", "gateway.upstreams.u.endpoints", "is not an endpoint" },
        { "endpoint of another scheme", L + "upstreams.u.endpoints = [\"ftp://backend.test:21\"]", "gateway.upstreams.u.endpoints", "is not an endpoint" },
        { "negative timeout", L + "upstreams.u { endpoints = [\"127.0.0.1:1\"], connect-timeout = -1s }", "gateway.upstreams.u.connect-timeout", "negative" },
        { "zero timeout", L + "upstreams.u { endpoints = [\"127.0.0.1:1\"], response-timeout = 0s }", "gateway.upstreams.u.response-timeout", "greater than 0s" },
        { "bad duration", L + "drain.deadline = soon", "gateway.drain.deadline", "is not a duration" },
        { "zero deadline", L + "drain.deadline = 0s", "gateway.drain.deadline", "greater than 0s" },
        { "announce longer than deadline", L + "drain { announce = 40s, deadline = 30s }", "gateway.drain.announce", "longer than the deadline" },
        { "close spread past the deadline", L + "drain { announce = 5s, deadline = 10s, close-spread = 5s }", "gateway.drain.close-spread", "must end before the deadline" },
        { "negative idle quiet", L + "drain.idle-quiet = -1s", "gateway.drain.idle-quiet", "is negative" },
        { "negative goaway ack timeout", L + "drain.goaway-ack-timeout = -1s", "gateway.drain.goaway-ack-timeout", "is negative" },
        { "goaway ack timeout past the deadline", L + "drain { announce = 2s, deadline = 5s, goaway-ack-timeout = 3s }", "gateway.drain.goaway-ack-timeout", "must end before the deadline" },
        { "unknown stream policy", L + "routes.r { listener = a, direct-response.status = 200, streams.on-drain = later }", "gateway.routes.r.streams.on-drain", "is not a policy" },
        { "status below 200", L + "routes.r { listener = a, direct-response { status = 99 } }", "gateway.routes.r.direct-response.status", "not a final HTTP status" },
        { "status above 599", L + "routes.r { listener = a, direct-response { status = 700 } }", "gateway.routes.r.direct-response.status", "not a final HTTP status" },
        { "no listener", "gateway.admin.address = \"127.0.0.1:0\"", "gateway.listeners", "no listener is configured" },
        { "public admin without token", L + "admin.address = \"0.0.0.0:15000\"", "gateway.admin.token", "required" },
        { "short token", L + "admin.token = short", "gateway.admin.token", "too short" },
        { "bad log format", L + "log.format = xml", "gateway.log.format", "not a log format" },
        { "io threads not a number", L + "io-threads = many", "gateway.io-threads", "not auto or a number of threads" },
        { "zero io threads", L + "io-threads = 0", "gateway.io-threads", "not auto or a number of threads" },
        { "unknown limit", L + "limits.max-body-byte = 1MiB", "gateway.limits.max-body-byte", "did you mean `max-body-bytes`?" },
        { "limit not a size", L + "limits.max-header-bytes = lots", "gateway.limits.max-header-bytes", "is not a size" },
        { "negative size", L + "limits.max-body-bytes = -1MiB", "gateway.limits.max-body-bytes", "is negative" },
        { "zero connections", L + "limits.max-connections = 0", "gateway.limits.max-connections", "greater than 0" },
        { "zero header timeout", L + "limits.header-timeout = 0s", "gateway.limits.header-timeout", "greater than 0s" },
        { "rate not a number", L + "limits.min-body-bytes-per-second = fast", "gateway.limits.min-body-bytes-per-second", "is not a rate" },
        { "rate grace too short", L + "limits.min-body-rate-grace = 1s", "gateway.limits.min-body-rate-grace", "longer than 1s" },
        { "server-wide limit on a listener", L + "listeners.a.limits.max-header-bytes = 1KiB", "gateway.listeners.a.limits.max-header-bytes", "set gateway.limits.max-header-bytes" },
        { "limits on a tcp listener", L + "listeners.a { protocol = tcp, limits.max-connections = 5 }\ngateway.upstreams.u.endpoints = [\"127.0.0.1:1\"]\ngateway.routes.a { listener = a, upstream = u }", "gateway.listeners.a.limits", "tcp listener" },
    };

    /// <summary>A valid listener to build the invalid cases on.</summary>
    private const string L = "gateway.listeners.a.address = \"127.0.0.1:0\"\ngateway.";

    [Theory]
    [MemberData(nameof(InvalidConfigs))]
    public void An_invalid_config_names_the_file_the_key_and_the_problem(string @case, string hocon, string key, string problem)
    {
        var error = Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Parse(hocon, "/etc/gateway/bad.conf"));

        Assert.True(error.Key == key, $"{@case}: key {error.Key}, expected {key} ({error.Message})");
        Assert.Contains(problem, error.Problem);
        // The line where the key (or its object) is written comes after the file.
        Assert.Matches($@"^/etc/gateway/bad.conf(:\d+){{0,2}}: {System.Text.RegularExpressions.Regex.Escape(key)}: ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
