using System.Net;
using Akka.Configuration;
using Gateway.Cluster;
using Gateway.Configuration;
using Xunit;

namespace Gateway.Tests.Configuration;

/// <summary>gateway.cluster: the short keys, their checks, and the akka.* HOCON they become.</summary>
public sealed class ClusterConfigTests
{
    private const string L = "gateway.listeners.a.address = \"127.0.0.1:8080\"\ngateway.admin.address = \"127.0.0.1:15000\"\n";

    [Fact]
    public void Without_the_section_or_with_enabled_off_the_gateway_is_not_clustered()
    {
        Assert.False(GatewayConfigLoader.Parse(L, "a.conf").Cluster.Enabled);
        Assert.False(GatewayConfigLoader.Parse(L + "gateway.cluster { enabled = off, seed-nodes = [] }", "a.conf").Cluster.Enabled);
    }

    [Fact]
    public void The_short_keys_are_read_with_defaults_for_the_omitted_ones()
    {
        var cluster = GatewayConfigLoader.Parse(L + """
            gateway.cluster { enabled = on, hostname = "127.0.0.1", port = 4053, seed-nodes = ["127.0.0.1:4053", "localhost:4054"] }
            gateway.drain.deadline = 30s
            """, "a.conf").Cluster;

        Assert.True(cluster.Enabled);
        Assert.Equal(("127.0.0.1", 4053), (cluster.Hostname, cluster.Port));
        Assert.Equal([new DnsEndPoint("127.0.0.1", 4053), new DnsEndPoint("localhost", 4054)], cluster.SeedNodes);
        Assert.Equal(1, cluster.MaxDraining);
        Assert.Equal(TimeSpan.FromSeconds(10), cluster.QueueReserve);
        Assert.Equal(TimeSpan.FromSeconds(20), cluster.DownUnreachableAfter);
    }

    [Fact]
    public void The_akka_hocon_names_the_gateway_system_in_every_seed_and_turns_on_the_split_brain_resolver()
    {
        var cluster = GatewayConfigLoader.Parse(L + """
            gateway.cluster { enabled = on, port = 4060, seed-nodes = ["127.0.0.1:4053"], down-unreachable-after = 3s }
            """, "a.conf").Cluster;
        var akka = ConfigurationFactory.ParseString(ClusterHocon.For(cluster));

        Assert.Equal("cluster", akka.GetString("akka.actor.provider"));
        Assert.Equal(4060, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://gateway@127.0.0.1:4053"], akka.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(TimeSpan.FromSeconds(3), akka.GetTimeSpan("akka.cluster.split-brain-resolver.stable-after"));
        Assert.Equal("keep-majority", akka.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        // Layered as the host does it (the file over the derived keys): an akka.* key in the file wins.
        var user = ConfigurationFactory.ParseString("akka.cluster.seed-nodes = [\"akka.tcp://gateway@10.0.0.1:4053\"]");
        Assert.Equal(["akka.tcp://gateway@10.0.0.1:4053"], user.WithFallback(akka).GetStringList("akka.cluster.seed-nodes"));
    }

    public static TheoryData<string, string, string> InvalidClusters => new()
    {
        { "cluster { enabled = on }", "gateway.cluster.seed-nodes", "list at least one node to join" },
        { "cluster { enabled = maybe, seed-nodes = [\"127.0.0.1:4053\"] }", "gateway.cluster.enabled", "not on or off" },
        { "cluster { enabled = on, seed-nodes = [\"akka.tcp://gateway@127.0.0.1:4053\"] }", "gateway.cluster.seed-nodes", "write host:port" },
        { "cluster { enabled = on, seed-nodes = [\"127.0.0.1\"] }", "gateway.cluster.seed-nodes", "is not a seed node" },
        { "cluster { enabled = on, seed-nodes = \"127.0.0.1:4053\" }", "gateway.cluster.seed-nodes", "must be a list" },
        { "cluster { enabled = on, port = 15000, seed-nodes = [\"127.0.0.1:4053\"] }", "gateway.cluster.port", "already used" },
        { "cluster { enabled = on, port = 70000, seed-nodes = [\"127.0.0.1:4053\"] }", "gateway.cluster.port", "is not a port" },
        { "cluster { enabled = on, max-draining = 0, seed-nodes = [\"127.0.0.1:4053\"] }", "gateway.cluster.max-draining", "at least 1" },
        { "cluster { enabled = on, queue-reserve = 60s, seed-nodes = [\"127.0.0.1:4053\"] }", "gateway.cluster.queue-reserve", "longer than the drain deadline" },
        { "cluster { enabled = on, down-unreachable-after = 0s, seed-nodes = [\"127.0.0.1:4053\"] }", "gateway.cluster.down-unreachable-after", "greater than 0s" },
        { "cluster { enabled = on, seed-node = [\"127.0.0.1:4053\"] }", "gateway.cluster.seed-node", "did you mean `seed-nodes`?" },
        { "cluster { enabled = on, seeds = [\"127.0.0.1:4053\"] }", "gateway.cluster.seeds", "unknown key (known here: enabled, hostname, port, seed-nodes" },
    };

    [Theory]
    [MemberData(nameof(InvalidClusters))]
    public void An_invalid_cluster_section_names_the_file_the_key_and_the_problem(string cluster, string key, string problem)
    {
        var error = Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Parse(L + "gateway." + cluster, "/etc/gateway/node.conf"));

        var match = error.Problems.FirstOrDefault(p => p.Key == key);
        Assert.True(match is not null, $"no problem for {key}: {string.Join(" | ", error.Problems.Select(p => p.Message))}");
        Assert.Contains(problem, match!.Problem);
        // The line where the key (or its object) is written comes after the file.
        Assert.Matches($@"^/etc/gateway/node.conf(:\d+){{0,2}}: {System.Text.RegularExpressions.Regex.Escape(key)}: ", match.Message);
    }

    [Fact]
    public void Replicated_routes_survive_the_wire_and_leave_out_routes_for_listeners_a_node_does_not_have()
    {
        var origin = GatewayConfigLoader.Parse("""
            gateway {
              listeners { a.address = "127.0.0.1:0", b.address = "127.0.0.1:0" }
              upstreams.api { endpoints = ["127.0.0.1:7000"], connect-timeout = 2s }
              routes.api  { listener = a, path-prefix = "/api", host = "x.test", upstream = api, streams { on-drain = graceful-close, grace = 1s } }
              routes.home { listener = b, direct-response { status = 204, body = "hi" } }
            }
            """, "origin.conf");
        var local = GatewayConfigLoader.Parse("gateway.listeners.a.address = \"127.0.0.1:0\"\ngateway.routes.x { listener = a, direct-response { status = 200 } }", "local.conf");

        var wire = new ReplicatedRoutes(7, "akka.tcp://gateway@127.0.0.1:4053", DateTimeOffset.UnixEpoch, origin.Routes, origin.Upstreams).ToJson();
        var received = ReplicatedRoutes.FromJson(wire)!;
        var applied = received.ApplyTo(local, out var skipped);

        Assert.Equal(7, received.Version);
        Assert.Equal(origin.Routes[0], received.Routes[0]);
        Assert.Equal(StreamDrainPolicy.GracefulClose, received.Routes[0].Streams.OnDrain);
        Assert.Equal(origin.Upstreams[0].Endpoints, received.Upstreams[0].Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(2), received.Upstreams[0].ConnectTimeout);
        Assert.Equal(["api"], applied.Routes.Select(r => r.Name));
        Assert.Equal(local.Listeners, applied.Listeners);
        Assert.Equal(["home (no listener b here)"], skipped);
    }
}
