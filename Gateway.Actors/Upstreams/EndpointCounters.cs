namespace Gateway.Upstreams;

/// <summary>
/// What an endpoint has counted since the gateway started: requests, failures, health checks, forced drains. A reload
/// that changes its upstream makes a new <see cref="UpstreamEndpoint"/> (a new pool, new settings) for an endpoint it
/// keeps; the new one counts on in the same counters (the old one's last requests too), so that neither
/// <c>GET /upstreams</c> nor a metric's counter goes back to zero.
/// </summary>
internal sealed class EndpointCounters
{
    public long Requests;
    public long Failures;
    public long ChecksPassed;
    public long ChecksFailed;
    public long DrainsForced;
}
