using Microsoft.Extensions.Logging;

namespace Gateway.Cluster;

/// <summary>The cluster's log events (ids in Utilities/EventIds.cs).</summary>
internal static partial class ClusterLog
{
    [LoggerMessage(EventId = EventIds.ClusterJoined, Level = LogLevel.Information,
        Message = "Cluster node {Address} is up ({Settings})")]
    public static partial void Joined(ILogger logger, string address, string settings);

    [LoggerMessage(EventId = EventIds.ClusterMemberEvent, Level = LogLevel.Information,
        Message = "Cluster member {Address}: {Event}")]
    public static partial void MemberEvent(ILogger logger, string address, string @event);

    [LoggerMessage(EventId = EventIds.DrainQueued, Level = LogLevel.Information,
        Message = "Drain queued: the cluster's drain budget is taken (draining: {Draining}); position {Position}, still serving and ready")]
    public static partial void Queued(ILogger logger, int position, string draining);

    [LoggerMessage(EventId = EventIds.DrainSlotAcquired, Level = LogLevel.Information,
        Message = "Drain slot granted after {WaitMilliseconds:0}ms: draining now")]
    public static partial void SlotAcquired(ILogger logger, double waitMilliseconds);

    [LoggerMessage(EventId = EventIds.DrainWithoutSlot, Level = LogLevel.Warning,
        Message = "Draining without a drain slot after {WaitSeconds:0.0}s in the queue: {Why}")]
    public static partial void DrainingWithoutSlot(ILogger logger, double waitSeconds, string why);

    [LoggerMessage(EventId = EventIds.DrainSlotGranted, Level = LogLevel.Information,
        Message = "Drain budget: slot granted to {Node} ({Held}/{Max} taken, {Queued} queued)")]
    public static partial void SlotGranted(ILogger logger, string node, int held, int max, int queued);

    [LoggerMessage(EventId = EventIds.DrainSlotReleased, Level = LogLevel.Information,
        Message = "Drain budget: slot released by {Node} ({Held}/{Max} taken)")]
    public static partial void SlotReleased(ILogger logger, string node, int held, int max);

    [LoggerMessage(EventId = EventIds.DrainBudgetReady, Level = LogLevel.Information,
        Message = "Drain budget (max {Max} draining) runs on this node; holders [{Holders}], {Queued} queued")]
    public static partial void BudgetReady(ILogger logger, int max, string holders, int queued);

    [LoggerMessage(EventId = EventIds.RoutesPublished, Level = LogLevel.Information,
        Message = "Routes and upstreams version {Version} published to the cluster ({Routes} route(s), {Upstreams} upstream(s))")]
    public static partial void RoutesPublished(ILogger logger, long version, int routes, int upstreams);

    [LoggerMessage(EventId = EventIds.RoutesApplied, Level = LogLevel.Information,
        Message = "Replicated routes version {Version} from {Origin} applied ({AgeMilliseconds:0}ms after it was published): {Report}")]
    public static partial void RoutesApplied(ILogger logger, long version, string origin, double ageMilliseconds, string report);

    [LoggerMessage(EventId = EventIds.RoutesRejected, Level = LogLevel.Error,
        Message = "Replicated routes version {Version} from {Origin} not applied, the running configuration stays: {Reason}")]
    public static partial void RoutesRejected(ILogger logger, long version, string origin, string reason);

    [LoggerMessage(EventId = EventIds.EndpointDrainPublished, Level = LogLevel.Information,
        Message = "Endpoint {Endpoint}: {Change} published to the cluster")]
    public static partial void EndpointDrainPublished(ILogger logger, string endpoint, string change);

    [LoggerMessage(EventId = EventIds.EndpointDrainsApplied, Level = LogLevel.Information,
        Message = "Cluster endpoint drains in force ({How}): {Drains}")]
    public static partial void EndpointDrainsApplied(ILogger logger, string how, string drains);

    [LoggerMessage(EventId = EventIds.ClusterLeaving, Level = LogLevel.Information,
        Message = "Leaving the cluster ({Why}): the drain runs first")]
    public static partial void Leaving(ILogger logger, string why);
}
