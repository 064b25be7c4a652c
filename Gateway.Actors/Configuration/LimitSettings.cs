namespace Gateway.Configuration;

/// <summary>
/// What one client may ask of an http listener before it is answered with a 4xx or closed: sizes, rates and counts
/// that keep a hostile or broken client from holding memory, sockets or a worker for long.
/// </summary>
/// <param name="MaxConnections">Concurrent connections on the listener; one more is closed at once.</param>
/// <param name="MaxRequestLineBytes">The request line (method, target, version); longer: 414.</param>
/// <param name="MaxHeaderBytes">All request headers together; more: 431.</param>
/// <param name="MaxBodyBytes">A request body; larger: 413 (before a byte of it is forwarded when Content-Length says so).</param>
/// <param name="HeaderTimeout">From the connection's start (or the previous response) until the headers are complete; slower: 408 or a close.</param>
/// <param name="MinBodyBytesPerSecond">A body slower than this (after <paramref name="MinBodyRateGrace"/>) is cut off with 408; 0: no minimum.</param>
public sealed record LimitSettings(
    int MaxConnections,
    int MaxRequestLineBytes,
    int MaxHeaderBytes,
    long MaxBodyBytes,
    TimeSpan HeaderTimeout,
    double MinBodyBytesPerSecond,
    TimeSpan MinBodyRateGrace)
{
    /// <summary>The defaults of hocon/reference.conf (Kestrel's own, except the connection count).</summary>
    public static LimitSettings Default => GatewayConfigLoader.Shipped.Limits;

    /// <summary>The keys a listener may set for itself; the others are the Kestrel server's and apply to all listeners.</summary>
    public static readonly IReadOnlyList<string> PerListenerKeys = ["max-connections", "max-body-bytes", "min-body-bytes-per-second", "min-body-rate-grace"];

    /// <summary>Every key of <c>gateway.limits</c>.</summary>
    public static readonly IReadOnlyList<string> Keys = ["max-connections", "max-request-line-bytes", "max-header-bytes", "max-body-bytes", "header-timeout", "min-body-bytes-per-second", "min-body-rate-grace"];
}
