using Gateway.Configuration;
using Xunit;

namespace Gateway.Tests.Configuration;

/// <summary>The keys of raw TCP listeners and their routes: what is read, and how misuse is reported.</summary>
public sealed class TcpConfigTests
{
    /// <summary>A valid tcp listener with its upstream, to build the cases on.</summary>
    private const string T = """
        gateway.listeners.db { address = "127.0.0.1:0", protocol = tcp }
        gateway.upstreams.pg.endpoints = ["127.0.0.1:5432"]

        """;

    [Fact]
    public void A_tcp_listener_its_idle_timeout_and_its_one_route_are_read_and_http_stays_the_default()
    {
        var settings = GatewayConfigLoader.Parse(T + """
            gateway.listeners.db.idle-timeout = 30s
            gateway.listeners.web.address = "127.0.0.1:0"
            gateway.routes.db { listener = db, upstream = pg }
            gateway.routes.web { listener = web, direct-response { status = 200 } }
            """, "tcp.conf");

        var db = settings.Listeners.Single(l => l.Name == "db");
        Assert.Equal((ListenerProtocol.Tcp, TimeSpan.FromSeconds(30)), (db.Protocol, db.IdleTimeout));
        var web = settings.Listeners.Single(l => l.Name == "web");
        Assert.Equal((ListenerProtocol.Http, (TimeSpan?)null), (web.Protocol, web.IdleTimeout));
        var route = settings.Routes.Single(r => r.Name == "db");
        Assert.Equal(("db", "pg", (string?)null), (route.Listener, route.Upstream, route.Host));
    }

    public static TheoryData<string, string, string, string> InvalidTcpConfigs => new()
    {
        { "unknown protocol", "gateway.listeners.a { address = \"127.0.0.1:0\", protocol = udp }", "gateway.listeners.a.protocol", "\"udp\" is not a listener protocol: write http or tcp" },
        { "idle timeout on http", "gateway.listeners.a { address = \"127.0.0.1:0\", idle-timeout = 5s }", "gateway.listeners.a.idle-timeout", "only a tcp listener has an idle timeout" },
        { "zero idle timeout", T + "gateway.listeners.db.idle-timeout = 0s\ngateway.routes.db { listener = db, upstream = pg }", "gateway.listeners.db.idle-timeout", "must be greater than 0s" },
        { "bad idle timeout", T + "gateway.listeners.db.idle-timeout = later\ngateway.routes.db { listener = db, upstream = pg }", "gateway.listeners.db.idle-timeout", "is not a duration" },
        { "path prefix on a tcp route", T + "gateway.routes.db { listener = db, path-prefix = \"/\", upstream = pg }", "gateway.routes.db.path-prefix", "listener db is a tcp listener: its route relays bytes and has no `path-prefix`" },
        { "host on a tcp route", T + "gateway.routes.db { listener = db, host = \"db.test\", upstream = pg }", "gateway.routes.db.host", "has no `host`" },
        { "direct response on a tcp route", T + "gateway.routes.db { listener = db, direct-response { status = 200 } }", "gateway.routes.db.direct-response", "must name an `upstream`, not answer itself" },
        { "tcp route without upstream", T + "gateway.routes.db { listener = db }", "gateway.routes.db.upstream", "missing: a route on tcp listener db names the upstream" },
        { "tcp route to an unknown upstream", T + "gateway.routes.db { listener = db, upstream = mysql }", "gateway.routes.db.upstream", "unknown upstream \"mysql\" (known: pg)" },
        { "two routes on one tcp listener", T + "gateway.routes.a { listener = db, upstream = pg }\ngateway.routes.b { listener = db, upstream = pg }", "gateway.routes.b.listener", "tcp listener db already has route a; a tcp listener takes exactly one route" },
        { "tcp listener without a route", T, "gateway.listeners.db", "tcp listener db has no route" },
        { "http endpoint behind a tcp route", T.Replace("[\"127.0.0.1:5432\"]", "[\"127.0.0.1:5432\", \"http://127.0.0.1:5433\"]") + "gateway.routes.db { listener = db, upstream = pg }", "gateway.upstreams.pg.endpoints", "\"http://127.0.0.1:5433\" is an HTTP endpoint, but upstream pg serves tcp route db: write host:port" },
        { "tcp endpoint without port", T.Replace("127.0.0.1:5432", "db.test") + "gateway.routes.db { listener = db, upstream = pg }", "gateway.upstreams.pg.endpoints", "is not an endpoint" },
        { "unknown listener key", T + "gateway.listeners.db.protocl = tcp\ngateway.routes.db { listener = db, upstream = pg }", "gateway.listeners.db.protocl", "did you mean `protocol`?" },
    };

    [Theory]
    [MemberData(nameof(InvalidTcpConfigs))]
    public void An_invalid_tcp_config_names_the_file_the_key_and_the_problem(string @case, string hocon, string key, string problem)
    {
        var error = Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Parse(hocon, "/etc/gateway/bad.conf"));

        var match = error.Problems.FirstOrDefault(p => p.Key == key);
        Assert.True(match is not null, $"{@case}: no problem at {key}: {error.Message}");
        Assert.Contains(problem, match.Problem);
        // The line where the key (or its object) is written comes after the file.
        Assert.Matches($@"^/etc/gateway/bad.conf(:\d+){{0,2}}: {System.Text.RegularExpressions.Regex.Escape(key)}: ", match.Message);
    }
}
