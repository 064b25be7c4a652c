using Gateway.Configuration;
using Xunit;

namespace Gateway.Tests.Upstreams;

/// <summary>The upstream keys for health checks, slow start, retries and DNS: read with their defaults, refused with the key and what to write.</summary>
public sealed class UpstreamPolicyConfigTests
{
    private static UpstreamSettings Upstream(string keys) => GatewayConfigLoader.Parse($$"""
        gateway {
          listeners.a { address = "127.0.0.1:0" }
          upstreams.app { endpoints = ["127.0.0.1:9001"] {{keys}} }
          routes.app { listener = a, upstream = app }
        }
        """, "test.conf").Upstreams.Single();

    private static string Problem(string keys) =>
        Assert.Throws<GatewayConfigException>(() => Upstream(keys)).Message;

    [Fact]
    public void Without_the_keys_an_upstream_retries_once_within_its_budget_and_has_passive_health_only()
    {
        var app = Upstream("");
        Assert.Null(app.HealthCheck);
        Assert.Equal((1, 64 * 1024, 0.2), (app.Retries, app.RetryBuffer, app.RetryBudget));
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), 0),
            (app.SlowStart, app.EjectFor, app.DnsRefresh, app.EjectAfter5xx));
    }

    [Fact]
    public void Every_key_is_read_and_a_health_check_takes_defaults_for_what_it_leaves_out()
    {
        var app = Upstream("""
            , slow-start = 4s, retries = 2, retry-buffer = 8KiB, retry-budget = 10%, dns-refresh = 0s, eject-after-5xx = 3
              health-check { path = "/ready", interval = 300ms, unhealthy-after = 2, expect = "200, 204-206" }
            """);
        Assert.Equal(new HealthCheckSettings("/ready", TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(1), 2, 2, "200, 204-206"), app.HealthCheck);
        Assert.True(app.HealthCheck!.Accepts(205));
        Assert.False(app.HealthCheck.Accepts(203));
        Assert.Equal((TimeSpan.FromSeconds(4), 2, 8192, 0.1, TimeSpan.Zero, 3),
            (app.SlowStart, app.Retries, app.RetryBuffer, app.RetryBudget, app.DnsRefresh, app.EjectAfter5xx));
        Assert.Equal(0.25, Upstream(", retry-budget = 0.25").RetryBudget);
    }

    [Fact]
    public void A_grpc_health_check_calls_the_health_service_of_h2c_endpoints_and_refuses_a_path_or_expect()
    {
        var grpc = GatewayConfigLoader.Parse("""
            gateway {
              listeners.a { address = "127.0.0.1:0" }
              upstreams.app { endpoints = ["h2c://127.0.0.1:9001"], health-check { protocol = grpc, service = "gateway.tests.Echo" } }
              routes.app { listener = a, upstream = app }
            }
            """, "test.conf").Upstreams.Single().HealthCheck!;
        Assert.Equal((HealthCheckProtocol.Grpc, "gateway.tests.Echo", "/grpc.health.v1.Health/Check", TimeSpan.FromSeconds(1)), (grpc.Protocol, grpc.Service, grpc.Path, grpc.Interval));
        Assert.Equal(HealthCheckProtocol.Http, Upstream(", health-check { path = \"/ready\" }").HealthCheck!.Protocol);
        foreach (var (key, expected) in new[] { ("path = \"/ready\"", "leave path out"), ("expect = \"200\"", "leave expect out") })
        {
            var problem = Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Parse($$"""
                gateway {
                  listeners.a { address = "127.0.0.1:0" }
                  upstreams.app { endpoints = ["h2c://127.0.0.1:9001"], health-check { protocol = grpc, {{key}} } }
                  routes.app { listener = a, upstream = app }
                }
                """, "test.conf")).Message;
            Assert.Contains(expected, problem);
            Assert.Contains("test.conf:3", problem);
        }
    }

    [Theory]
    [InlineData(", health-check { interval = 1s }", "gateway.upstreams.app.health-check.path: missing")]
    [InlineData(", health-check { path = ready }", "gateway.upstreams.app.health-check.path: \"ready\" must start with /")]
    [InlineData(", health-check { path = \"/ready\", expect = \"2xx\" }", "gateway.upstreams.app.health-check.expect: \"2xx\" is not a list of statuses")]
    [InlineData(", health-check { path = \"/ready\", healthy-after = 0 }", "gateway.upstreams.app.health-check.healthy-after: must be at least 1")]
    [InlineData(", health-check { path = \"/ready\", intervall = 1s }", "gateway.upstreams.app.health-check.intervall: unknown key; did you mean `interval`?")]
    [InlineData(", health-check { protocol = tcp }", "gateway.upstreams.app.health-check.protocol: \"tcp\" is not a way to check: write http (GET path) or grpc")]
    [InlineData(", health-check { protocol = grpc }", "gateway.upstreams.app.health-check.protocol: grpc checks need HTTP/2 endpoints: write 127.0.0.1:9001 as h2c://127.0.0.1:9001")]
    [InlineData(", health-check { path = \"/ready\", service = echo }", "gateway.upstreams.app.health-check.service: only a gRPC check asks about a service: add protocol = grpc")]
    [InlineData(", retries = 9", "gateway.upstreams.app.retries: 9 is not a number of retries from 0 (off) to 5")]
    [InlineData(", retry-budget = 150%", "gateway.upstreams.app.retry-budget: \"150%\" is not a share from 0% to 100%")]
    [InlineData(", retry-budget = lots", "gateway.upstreams.app.retry-budget: \"lots\" is not a share: write e.g. 20% or 0.2")]
    [InlineData(", retry-buffer = big", "gateway.upstreams.app.retry-buffer: \"big\" is not a size")]
    [InlineData(", slow-start = -1s", "gateway.upstreams.app.slow-start: -1s is negative")]
    [InlineData(", retrys = 1", "gateway.upstreams.app.retrys: unknown key; did you mean `retries`?")]
    public void A_bad_value_is_refused_naming_its_key_and_what_to_write(string keys, string expected) =>
        Assert.Contains(expected, Problem(keys));
}
