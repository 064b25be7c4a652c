using Gateway.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Gateway.Hosting;

/// <summary>The limits Kestrel holds per server, not per endpoint: every listener (and the admin API) shares them.</summary>
internal static class ServerLimits
{
    public static void Apply(KestrelServerLimits kestrel, LimitSettings limits)
    {
        kestrel.MaxRequestLineSize = limits.MaxRequestLineBytes;
        kestrel.MaxRequestHeadersTotalSize = limits.MaxHeaderBytes;
        // Kestrel refuses to start when a whole head could not fit its per-connection buffer (1 MiB by default).
        var head = Math.Max(limits.MaxHeaderBytes, limits.MaxRequestLineBytes);
        if (kestrel.MaxRequestBufferSize < head) kestrel.MaxRequestBufferSize = head;
        // HTTP/2 also checks each header field (after HPACK) against a limit of its own: one field may be the whole head.
        kestrel.Http2.MaxRequestHeaderFieldSize = limits.MaxHeaderBytes;
        kestrel.RequestHeadersTimeout = limits.HeaderTimeout;
        kestrel.MaxRequestBodySize = limits.MaxBodyBytes;
        kestrel.MinRequestBodyDataRate = Rate(limits);
        // Connections are counted per listener by the gateway (max-connections), never server-wide.
        kestrel.MaxConcurrentConnections = null;
        kestrel.MaxConcurrentUpgradedConnections = null;
    }

    public static MinDataRate? Rate(LimitSettings limits) =>
        limits.MinBodyBytesPerSecond > 0 ? new MinDataRate(limits.MinBodyBytesPerSecond, limits.MinBodyRateGrace) : null;

    /// <summary>A listener's limits with the server-wide ones of the running server (a reload cannot change those).</summary>
    public static LimitSettings Pin(LimitSettings listener, LimitSettings server) => listener with
    {
        MaxRequestLineBytes = server.MaxRequestLineBytes,
        MaxHeaderBytes = server.MaxHeaderBytes,
        HeaderTimeout = server.HeaderTimeout,
    };

    /// <summary>The server-wide keys a reload changed: they take effect at the next (hot) restart.</summary>
    public static IEnumerable<string> Changed(LimitSettings current, LimitSettings next)
    {
        if (current.MaxRequestLineBytes != next.MaxRequestLineBytes) yield return "gateway.limits.max-request-line-bytes";
        if (current.MaxHeaderBytes != next.MaxHeaderBytes) yield return "gateway.limits.max-header-bytes";
        if (current.HeaderTimeout != next.HeaderTimeout) yield return "gateway.limits.header-timeout";
    }
}
