using Akka.Configuration;
using Gateway.Cluster;
using Gateway.Configuration;
using Xunit;

namespace Gateway.Tests.Configuration;

/// <summary>
/// Every default is written once, in hocon/reference.conf: a file that leaves a key out gets it from there, and so does
/// a setting built in code. The values here are the README's.
/// </summary>
public sealed class ReferenceDefaultsTests
{
    private const string Minimal = """
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          upstreams.api { endpoints = ["127.0.0.1:9001"] }
          routes.api { listener = public, upstream = api }
        }
        """;

    [Fact]
    public void A_file_that_leaves_every_key_out_gets_the_documented_defaults()
    {
        var settings = GatewayConfigLoader.Parse(Minimal, "/etc/gateway/minimal.conf");

        Assert.Equal(new LimitSettings(10_000, 8 * 1024, 32 * 1024, 30L * 1024 * 1024, TimeSpan.FromSeconds(30), 240, TimeSpan.FromSeconds(5)), settings.Limits);
        Assert.Equal(new DrainSettings(TimeSpan.Zero, TimeSpan.FromSeconds(30)) { IdleQuiet = TimeSpan.FromMilliseconds(250), CloseSpread = TimeSpan.Zero, GoAwayAckTimeout = TimeSpan.FromSeconds(1) }, settings.Drain);
        var listener = settings.Listeners.Single();
        Assert.Equal((ListenerProtocol.Http, (TimeSpan?)null, settings.Limits), (listener.Protocol, listener.IdleTimeout, listener.Limits));
        var route = settings.Routes.Single();
        Assert.Equal("/", route.PathPrefix);
        Assert.Equal(new StreamSettings(StreamDrainPolicy.KeepUntilDeadline, TimeSpan.Zero, TimeSpan.FromSeconds(1)), route.Streams);
        Assert.Equal(new ForwardingSettings(ForwardedHeadersMode.Replace, [], false), route.Forwarding);
        var upstream = settings.Upstreams.Single();
        Assert.Equal(
            (TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(10), 0, TimeSpan.FromSeconds(10), 1, 64 * 1024, 0.2, TimeSpan.FromSeconds(5)),
            (upstream.ConnectTimeout, upstream.ResponseTimeout, upstream.EjectFor, upstream.EjectAfter5xx, upstream.SlowStart, upstream.Retries,
                upstream.RetryBuffer, upstream.RetryBudget, upstream.DnsRefresh));
        Assert.Null(upstream.HealthCheck);
        Assert.False(settings.Cluster.Enabled);
        Assert.Equal(("127.0.0.1", 4053, 1, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)),
            (settings.Cluster.Hostname, settings.Cluster.Port, settings.Cluster.MaxDraining, settings.Cluster.QueueReserve, settings.Cluster.DownUnreachableAfter));
        Assert.Equal((false, (int?)null, (AccessLogSettings?)null), (settings.JsonLogs, settings.IoThreads, settings.AccessLog));
    }

    [Fact]
    public void A_health_check_that_names_only_its_path_gets_the_documented_defaults()
    {
        var settings = GatewayConfigLoader.Parse(Minimal.Replace("endpoints = [\"127.0.0.1:9001\"]", "endpoints = [\"127.0.0.1:9001\"], health-check.path = \"/ready\""), "hc.conf");

        Assert.Equal(new HealthCheckSettings("/ready", TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), 1, 2, "200-399"), settings.Upstreams.Single().HealthCheck);
    }

    [Fact]
    public void Settings_built_in_code_start_from_the_defaults_a_file_gets()
    {
        var read = GatewayConfigLoader.Parse(Minimal, "/etc/gateway/minimal.conf");
        var upstream = read.Upstreams.Single();
        var listener = read.Listeners.Single();
        var route = read.Routes.Single();

        Assert.Equal(upstream, new UpstreamSettings(upstream.Name, upstream.Endpoints, upstream.ConnectTimeout, upstream.ResponseTimeout));
        Assert.Equal(listener, new ListenerSettings(listener.Name, listener.Address));
        Assert.Equal(route, new RouteSettings(route.Name, route.Listener, route.PathPrefix, route.Host, route.Upstream, route.DirectResponse));
        Assert.Equal(read.Drain, new DrainSettings(read.Drain.Announce, read.Drain.Deadline));
        Assert.Equal(read.Limits, LimitSettings.Default);
        Assert.Equal(read.Cluster, ClusterSettings.Disabled);
        var built = new GatewaySettings(read.Source, read.Listeners, read.Routes, read.Upstreams, read.Admin, read.Drain, read.Hocon);
        Assert.Equal((read.JsonLogs, read.IoThreads, read.AccessLog, read.Limits, read.Cluster, read.HotRestart),
            (built.JsonLogs, built.IoThreads, built.AccessLog, built.Limits, built.Cluster, built.HotRestart));
    }

    [Fact]
    public void Every_default_of_a_named_object_is_a_key_such_an_object_may_carry()
    {
        var defaults = GatewayConfigLoader.Reference.GetConfig("gateway.defaults");
        var kinds = new Dictionary<string, string> { ["listener"] = "listeners", ["route"] = "routes", ["upstream"] = "upstreams" };

        Assert.Equal(kinds.Keys.Order(), defaults.Root.GetObject().Items.Keys.Order());
        foreach (var (kind, section) in kinds)
        {
            var shape = ConfigSchema.Gateway.Keys[section]!.Named!;
            foreach (var key in Leaves(defaults.GetConfig(kind)))
            {
                var node = shape;
                foreach (var part in key.Split('.'))
                {
                    Assert.True(node!.Keys.ContainsKey(part), $"gateway.defaults.{kind}.{key} is not a key of gateway.{section}.<name>");
                    node = node.Keys[part];
                }
            }
        }
    }

    [Fact]
    public void A_file_may_not_set_the_defaults_of_named_objects()
    {
        var error = Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Parse(Minimal + "\ngateway.defaults.upstream.retries = 3", "/etc/gateway/d.conf"));

        Assert.Equal("gateway.defaults", error.Key);
        Assert.Equal(6, error.Line);
        Assert.Contains("set the key on each listener, route or upstream", error.Problem);
    }

    private static IEnumerable<string> Leaves(Config config, string prefix = "") =>
        config.Root.GetObject().Items.SelectMany(item => item.Value.IsObject()
            ? Leaves(config.GetConfig(item.Key), $"{prefix}{item.Key}.")
            : [$"{prefix}{item.Key}"]);
}
