using System.Net;
using Gateway.Cluster;

namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    private sealed partial class Reader
    {
        private const string ClusterKey = "gateway.cluster";

        /// <summary><c>gateway.cluster</c>: read and checked only when enabled, so a lone gateway ignores the section.</summary>
        private ClusterSettings ReadCluster(TimeSpan? deadline, List<ListenerSettings> listeners, AdminSettings? admin)
        {
            const string key = ClusterKey;
            var enabled = Bool($"{key}.enabled");
            if (!enabled) return ClusterSettings.Disabled;
            var hostname = String($"{key}.hostname") ?? throw Error($"{key}.hostname", "missing: the address other nodes reach this one at, e.g. \"127.0.0.1\"");
            var port = Int($"{key}.port");
            if (port is < 1 or > 65535)
                throw Error($"{key}.port", $"{port} is not a port (1–65535)");
            var local = new[] { admin?.Address }.Concat(listeners.Select(l => l.Address)).OfType<IPEndPoint>();
            if (local.FirstOrDefault(a => a.Port == port && (IPAddress.TryParse(hostname, out var ip) ? ip.Equals(a.Address) || a.Address.Equals(IPAddress.Any) : true)) is { } clash)
                throw Error($"{key}.port", $"{port} is already used by a listener or the admin API ({clash})");
            var seeds = ReadSeeds($"{key}.seed-nodes");
            var maxDraining = Int($"{key}.max-draining");
            if (maxDraining < 1)
                throw Error($"{key}.max-draining", "must be at least 1 (one node at a time drains by default)");
            var reserve = Duration($"{key}.queue-reserve");
            if (deadline is { } d && reserve > d)
                throw Error(Blame($"{key}.queue-reserve", "gateway.drain.deadline"), $"{reserve.TotalSeconds}s is longer than the drain deadline ({d.TotalSeconds}s): a queued node could not drain in time");
            var down = Duration($"{key}.down-unreachable-after");
            if (down <= TimeSpan.Zero)
                throw Error($"{key}.down-unreachable-after", "must be greater than 0s");
            return new ClusterSettings(true, hostname, port, seeds, maxDraining, reserve, down);
        }

        /// <summary>The section as reference.conf ships it: off, its other keys as they would be read once it is on.</summary>
        internal ClusterSettings ReadShippedCluster() => new(
            Bool($"{ClusterKey}.enabled"), String($"{ClusterKey}.hostname")!, Int($"{ClusterKey}.port"), [],
            Int($"{ClusterKey}.max-draining"), Duration($"{ClusterKey}.queue-reserve"), Duration($"{ClusterKey}.down-unreachable-after"));

        private List<DnsEndPoint> ReadSeeds(string key)
        {
            var value = Value(key);
            if (value is null || value.IsEmpty)
                throw Error(key, "missing: list the host:port of at least one node to join, e.g. [\"127.0.0.1:4053\"]");
            if (value.IsString() || value.IsObject())
                throw Error(key, "must be a list of host:port, e.g. [\"127.0.0.1:4053\"]");
            var seeds = new List<DnsEndPoint>();
            foreach (var item in value.GetArray())
            {
                var text = item.IsString() ? item.GetString() : null;
                var colon = text?.LastIndexOf(':') ?? -1;
                if (text is null || colon <= 0 || text.Contains("://", StringComparison.Ordinal)
                    || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
                    throw Error(key, $"\"{text}\" is not a seed node: write host:port, e.g. \"127.0.0.1:4053\" (the gateway adds the system name)");
                seeds.Add(new DnsEndPoint(text[..colon].Trim('[', ']'), port));
            }
            if (seeds.Count == 0)
                throw Error(key, "is empty: list at least one node to join, e.g. [\"127.0.0.1:4053\"]");
            return seeds;
        }
    }
}
