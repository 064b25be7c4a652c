namespace Gateway.Upstreams;

/// <summary>
/// The endpoints of one upstream and how a request picks one, lock-free: round-robin over those in rotation, an
/// endpoint in its slow start taken with a probability equal to its share; when none is in rotation, the least bad
/// one still in service (fewest failures in a row), so that an upstream whose every endpoint looks unhealthy is
/// still tried rather than refused. Endpoints an operator drains are never picked. The set itself changes only
/// through its <see cref="UpstreamActor"/> (a DNS name resolved anew), by swapping the whole array.
/// </summary>
internal sealed class EndpointSet
{
    private readonly Random _random;
    private UpstreamEndpoint[] _all;
    private int _next = -1;

    internal EndpointSet(IEnumerable<UpstreamEndpoint> endpoints, TimeProvider time, TimeSpan slowStart, TimeSpan ejectFor, Random? random = null)
    {
        _all = endpoints.ToArray();
        Time = time;
        _random = random ?? Random.Shared;
        SlowStartTicks = Ticks(slowStart);
        EjectTicks = Ticks(ejectFor);
    }

    internal TimeProvider Time { get; }
    internal long SlowStartTicks { get; }
    internal long EjectTicks { get; }

    /// <summary>Every endpoint now (drained ones included).</summary>
    public IReadOnlyList<UpstreamEndpoint> All => Volatile.Read(ref _all);

    internal long Now => Time.GetTimestamp();

    internal long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Time.TimestampFrequency);

    /// <summary>Only its actor replaces the set (DNS); requests read whichever array they got.</summary>
    internal void Replace(UpstreamEndpoint[] endpoints) => Volatile.Write(ref _all, endpoints);

    /// <summary>
    /// An endpoint for the next request, counted in flight on it (release it with <see cref="UpstreamEndpoint.Leave"/>);
    /// null when every endpoint is drained or draining (or was tried already, for a retry).
    /// </summary>
    public UpstreamEndpoint? Lease(IReadOnlyList<UpstreamEndpoint>? tried = null)
    {
        var all = Volatile.Read(ref _all);
        var n = all.Length;
        if (n == 1) return tried is null && all[0].TryEnter() ? all[0] : null;
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)n);
        var now = Now;
        UpstreamEndpoint? ramping = null;
        for (var i = 0; i < n; i++)
        {
            var endpoint = all[(start + i) % n];
            if (tried?.Contains(endpoint) == true || !endpoint.InRotation(now)) continue;
            var share = endpoint.Share(now, SlowStartTicks);
            if (share < 1 && _random.NextDouble() >= share)
            {
                ramping ??= endpoint;
                continue;
            }
            if (endpoint.TryEnter()) return endpoint;
        }
        if (ramping?.TryEnter() == true) return ramping;
        return LeastBad(all, start, tried);
    }

    /// <summary>Nothing in rotation: the endpoint in service with the fewest failures in a row (round-robin among equals).</summary>
    private static UpstreamEndpoint? LeastBad(UpstreamEndpoint[] all, int start, IReadOnlyList<UpstreamEndpoint>? tried)
    {
        UpstreamEndpoint? best = null;
        for (var i = 0; i < all.Length; i++)
        {
            var endpoint = all[(start + i) % all.Length];
            if (tried?.Contains(endpoint) == true || !endpoint.IsInService) continue;
            if (best is null || endpoint.FailuresInARow < best.FailuresInARow) best = endpoint;
        }
        return best?.TryEnter() == true ? best : null;
    }

    /// <summary>The endpoints an operator's name stands for: <c>host:port</c> as configured, or one resolved address.</summary>
    public IReadOnlyList<UpstreamEndpoint> Named(string endpoint) =>
        All.Where(e => Matches(e, endpoint)).ToList();

    internal static bool Matches(UpstreamEndpoint e, string endpoint) =>
        string.Equals(e.Name, endpoint, StringComparison.OrdinalIgnoreCase)
        || string.Equals(e.Address, endpoint, StringComparison.OrdinalIgnoreCase)
        || string.Equals(e.Destination.TrimEnd('/'), endpoint.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);
}
