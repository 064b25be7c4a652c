namespace Gateway.Upstreams;

/// <summary>One upstream as <c>GET /upstreams</c> shows it: each endpoint's state and counters, read lock-free.</summary>
public sealed record UpstreamReport(string Name, string? HealthCheck, double SlowStartSeconds, int Retries, double RetryBudgetAvailable,
    IReadOnlyList<EndpointReport> Endpoints)
{
    internal static UpstreamReport Of(UpstreamHandle upstream)
    {
        var settings = upstream.Settings;
        var set = upstream.Endpoints;
        var now = set.Now;
        var drained = upstream.Drains?.InForce ?? [];
        var replicated = upstream.Drains?.Replicated ?? [];
        return new UpstreamReport(
            upstream.Name,
            settings.HealthCheck is { } check ? $"GET {check.Path} every {check.Interval.TotalSeconds:0.###}s, expect {check.Expect}" : null,
            settings.SlowStart.TotalSeconds,
            settings.Retries,
            Math.Round(upstream.Budget.Available, 2),
            set.All.Select(e =>
            {
                var by = drained.Where(k => k.Upstream == upstream.Name && EndpointSet.Matches(e, k.Endpoint)).ToList();
                return new EndpointReport(
                    e.Name,
                    e.Address,
                    EndpointStateNames.Of(e.StateAt(now)),
                    Math.Round(e.InRotation(now) ? e.Share(now, set.SlowStartTicks) : 0, 3),
                    e.InFlight,
                    e.Requests,
                    e.Failures,
                    by.Count == 0 ? null : by.Any(replicated.Contains) ? "cluster" : "node",
                    e.LastCheck,
                    e.ChecksPassed,
                    e.ChecksFailed,
                    e.DrainsForced);
            }).ToList());
    }
}

/// <summary>One endpoint in <c>GET /upstreams</c>.</summary>
/// <param name="Share">Its share of requests now: 1 in rotation, less while its slow start ramps up, 0 out of rotation.</param>
/// <param name="DrainedBy">Whose drain holds it: <c>cluster</c> (replicated), <c>node</c> (this node only), or null.</param>
/// <param name="DrainsForced">Its drains that reached their deadline with requests still in flight (those failed).</param>
public sealed record EndpointReport(string Endpoint, string Address, string State, double Share, int InFlight, long Requests, long Failures,
    string? DrainedBy, HealthCheckResult? LastCheck, long ChecksPassed, long ChecksFailed, long DrainsForced);
