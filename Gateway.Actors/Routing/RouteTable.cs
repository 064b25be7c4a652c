using Gateway.Configuration;
using Gateway.Upstreams;

namespace Gateway.Routing;

/// <summary>
/// A route ready for the hot path: its settings, its upstream (when it forwards) with the transform that builds every
/// request to it, its response counters.
/// </summary>
internal sealed record CompiledRoute(RouteSettings Settings, UpstreamHandle? Upstream, ForwardingTransform Transform, Prometheus.Counter.Child[] Responses)
{
    /// <summary>Counts one answered request by status class (1xx … 5xx).</summary>
    public void Count(int status) => Responses[Math.Clamp(status / 100, 1, 5) - 1].Inc();
}

/// <summary>
/// The routes of every listener, longest path prefix first. A prefix matches whole path segments:
/// <c>/api</c> matches <c>/api</c> and <c>/api/users</c>, not <c>/apix</c>. The path is Kestrel's: percent-decoded
/// except <c>%2F</c>, which stays as written and so never separates segments (<c>/api%2Fx</c> is not under
/// <c>/api</c>), with dot segments removed. A host matches case-insensitively, a trailing dot aside
/// (<c>internal.test.</c> is <c>internal.test</c>).
/// </summary>
internal sealed class RouteTable
{
    private readonly Dictionary<string, CompiledRoute[]> _byListener;

    /// <param name="viaName">This gateway's name in the Via header of what it forwards.</param>
    public RouteTable(IEnumerable<RouteSettings> routes, IEnumerable<UpstreamHandle> upstreamHandles, Telemetry.GatewayMetrics metrics, string viaName)
    {
        var upstreams = upstreamHandles.ToDictionary(u => u.Name);
        NoRoute = metrics.ForRoute("(none)");
        _byListener = routes
            .GroupBy(r => r.Listener)
            .ToDictionary(
                g => g.Key,
                g => g.OrderByDescending(r => r.PathPrefix.TrimEnd('/').Length)
                      .ThenByDescending(r => r.Host is not null)
                      .Select(r => new CompiledRoute(r with { Host = WithoutTrailingDot(r.Host) }, r.Upstream is null ? null : upstreams[r.Upstream],
                          new ForwardingTransform(r, viaName), metrics.ForRoute(r.Name)))
                      .ToArray());
    }

    /// <summary>Counters for requests no route matched.</summary>
    public Prometheus.Counter.Child[] NoRoute { get; }

    public CompiledRoute? Match(string listener, string host, string path)
    {
        if (!_byListener.TryGetValue(listener, out var routes)) return null;
        host = WithoutTrailingDot(host)!;
        foreach (var route in routes)
        {
            if (route.Settings.Host is { } wanted && !string.Equals(wanted, host, StringComparison.OrdinalIgnoreCase))
                continue;
            if (PrefixMatches(route.Settings.PathPrefix, path))
                return route;
        }
        return null;
    }

    /// <summary>The one upstream of a tcp listener (its only route), or null when a reload took the route away.</summary>
    public UpstreamHandle? TcpUpstream(string listener) =>
        _byListener.TryGetValue(listener, out var routes) && routes is [{ Upstream: { } upstream }] ? upstream : null;

    /// <summary>A fully qualified name (<c>internal.test.</c>) names the same host as without its dot.</summary>
    private static string? WithoutTrailingDot(string? host) => host is [.., '.'] ? host[..^1] : host;

    internal static bool PrefixMatches(string prefix, string path)
    {
        var p = prefix.TrimEnd('/');
        if (p.Length == 0) return true;
        if (!path.StartsWith(p, StringComparison.Ordinal)) return false;
        return path.Length == p.Length || path[p.Length] == '/';
    }
}
