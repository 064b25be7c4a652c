namespace Gateway.Upstreams;

/// <summary>Where one endpoint of an upstream stands, as <c>GET /upstreams</c>, the metrics and the log name it.</summary>
public enum EndpointState
{
    /// <summary>In rotation (possibly still ramping up after a slow start).</summary>
    Healthy,
    /// <summary>Its active health checks failed: out of rotation until they pass again.</summary>
    Unhealthy,
    /// <summary>Passive health took it out (a refused connection, 5xx in a row): out of rotation for a while.</summary>
    Ejected,
    /// <summary>An operator drains it: no new request, the ones in flight finish.</summary>
    Draining,
    /// <summary>Drained: nothing in flight, its pooled connections closed; back only when undrained.</summary>
    Drained,
}

/// <summary>The lower-case names the admin API and metrics use.</summary>
public static class EndpointStateNames
{
    public static string Of(EndpointState state) => state switch
    {
        EndpointState.Healthy => "healthy",
        EndpointState.Unhealthy => "unhealthy",
        EndpointState.Ejected => "ejected",
        EndpointState.Draining => "draining",
        _ => "drained",
    };
}

/// <summary>The last active health check of an endpoint.</summary>
/// <param name="Detail">The status it answered, or why it failed (timed out, refused…).</param>
public sealed record HealthCheckResult(DateTimeOffset At, bool Passed, string Detail);
