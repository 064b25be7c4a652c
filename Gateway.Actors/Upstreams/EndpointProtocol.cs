using System.Net;

namespace Gateway.Upstreams;

/// <summary>
/// What an <see cref="UpstreamActor"/> hears about its endpoints: drains asked for, health checks due and done,
/// an endpoint's last request ended, DNS names resolved again. None of it is sent per request.
/// </summary>
internal static class EndpointProtocol
{
    /// <summary>The drains in force (<see cref="EndpointDrains"/>) changed: apply them.</summary>
    public sealed record DrainsChanged
    {
        public static readonly DrainsChanged Instance = new();
        public override string ToString() => "DrainsChanged";
    }

    /// <summary>Answered with <see cref="Synced"/> once everything told to the actor before it is applied.</summary>
    public sealed record Sync
    {
        public static readonly Sync Instance = new();
        public override string ToString() => "Sync";
    }

    public sealed record Synced
    {
        public static readonly Synced Instance = new();
        public override string ToString() => "Synced";
    }

    /// <summary>Timer: check every endpoint now.</summary>
    internal sealed record CheckDue
    {
        public static readonly CheckDue Instance = new();
        public override string ToString() => "CheckDue";
    }

    /// <summary>One endpoint's check is over.</summary>
    internal sealed record CheckDone(UpstreamEndpoint Endpoint, HealthCheckResult Result)
    {
        public override string ToString() => $"CheckDone({Endpoint}, {(Result.Passed ? "passed" : "failed")}: {Result.Detail})";
    }

    /// <summary>The drain numbered <paramref name="Drain"/> of an endpoint has nothing in flight any more.</summary>
    internal sealed record EndpointIdle(UpstreamEndpoint Endpoint, long Drain)
    {
        public override string ToString() => $"EndpointIdle({Endpoint}, drain {Drain})";
    }

    /// <summary>The drain numbered <paramref name="Drain"/> of an endpoint reached its deadline.</summary>
    internal sealed record EndpointDeadline(UpstreamEndpoint Endpoint, long Drain)
    {
        public override string ToString() => $"EndpointDeadline({Endpoint}, drain {Drain})";
    }

    /// <summary>Timer: resolve the DNS names among the endpoints again.</summary>
    internal sealed record ResolveDue
    {
        public static readonly ResolveDue Instance = new();
        public override string ToString() => "ResolveDue";
    }

    /// <summary>What one configured endpoint's name resolved to; null addresses: the lookup failed (<paramref name="Error"/>).</summary>
    internal sealed record Resolved(Uri Source, IReadOnlyList<IPAddress>? Addresses, string? Error)
    {
        public override string ToString() => $"Resolved({Source.Authority}: {(Addresses is null ? Error : string.Join(", ", Addresses))})";
    }
}
