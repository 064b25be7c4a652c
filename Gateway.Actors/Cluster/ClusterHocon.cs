using System.Globalization;

namespace Gateway.Cluster;

/// <summary>
/// Turns the gateway's short <c>gateway.cluster</c> keys into the <c>akka.*</c> HOCON of a cluster node. It sits
/// beneath the user's file, so any <c>akka.*</c> key written there still wins (for experts).
/// </summary>
internal static class ClusterHocon
{
    public static string For(ClusterSettings cluster)
    {
        static string Q(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{(long)t.TotalMilliseconds}ms");
        var seeds = string.Join(", ", cluster.SeedNodes.Select(s => Q(ClusterSettings.AkkaAddress(s))));
        return $$"""
            akka {
              actor.provider = cluster
              remote.dot-netty.tcp {
                hostname = {{Q(cluster.Hostname)}}
                port = {{cluster.Port}}
              }
              cluster {
                seed-nodes = [{{seeds}}]
                # Unreachable nodes are downed by the split-brain resolver (keep the majority) once the cluster has
                # been stable for this long; a downed node runs its own shutdown (and so its drain).
                downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                split-brain-resolver {
                  active-strategy = keep-majority
                  stable-after = {{Ms(cluster.DownUnreachableAfter)}}
                }
                run-coordinated-shutdown-when-down = on
                log-info-verbose = off
                # Replicated routes reach subscribers this soon after they arrive (default 500ms).
                distributed-data.notify-subscribers-interval = 100ms
              }
            }
            """;
    }
}
