using Gateway.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// The keys a reload cannot apply in place: they stay as they run until a (hot) restart, so that /config shows what
/// is in force, and the reload's report names them.
/// </summary>
internal static class RestartOnlySettings
{
    /// <summary>The restart-only keys <paramref name="next"/> changes (the server-wide limits: <see cref="ServerLimits.Changed"/>).</summary>
    public static IEnumerable<string> Changed(GatewaySettings now, GatewaySettings next)
    {
        if (!next.Admin.Address.Equals(now.Admin.Address)) yield return "gateway.admin.address";
        if (next.Admin.Token != now.Admin.Token) yield return "gateway.admin.token";
        if (next.Drain != now.Drain) yield return "gateway.drain";
        if (next.AccessLog != now.AccessLog) yield return "gateway.access-log";
        if (next.JsonLogs != now.JsonLogs) yield return "gateway.log.format";
        if (next.IoThreads != now.IoThreads) yield return "gateway.io-threads";
        if (next.HotRestart != now.HotRestart) yield return "gateway.hot-restart";
        if (!next.Cluster.SeedNodes.SequenceEqual(now.Cluster.SeedNodes)
            || next.Cluster with { SeedNodes = Array.Empty<System.Net.DnsEndPoint>() } != now.Cluster with { SeedNodes = Array.Empty<System.Net.DnsEndPoint>() })
            yield return "gateway.cluster";
    }

    /// <summary><paramref name="next"/> with the restart-only keys as they run now.</summary>
    public static GatewaySettings Kept(GatewaySettings now, GatewaySettings next) => next with
    {
        Admin = now.Admin, Drain = now.Drain, Limits = now.Limits, AccessLog = now.AccessLog, JsonLogs = now.JsonLogs,
        Cluster = now.Cluster, IoThreads = now.IoThreads, HotRestart = now.HotRestart,
    };
}
