using System.Net;

namespace Gateway.Cluster;

/// <summary>
/// <c>gateway.cluster { … }</c>: whether this gateway is a node of a gateway cluster, where its remoting listens,
/// whom it joins, and how many nodes may drain at once.
/// </summary>
/// <param name="Enabled">Off: the gateway runs alone, exactly as without this section.</param>
/// <param name="Hostname">The address remoting binds and other nodes reach this one at.</param>
/// <param name="Port">The remoting port (distinct from every listener and the admin API).</param>
/// <param name="SeedNodes">host:port of the nodes to join (the first one starts the cluster when it is this node).</param>
/// <param name="MaxDraining">How many nodes of the cluster may drain at the same time.</param>
/// <param name="QueueReserve">A node queued for the drain budget drains anyway when only this much of its deadline is left.</param>
/// <param name="DownUnreachableAfter">The split-brain resolver downs unreachable nodes after the cluster is stable this long.</param>
public sealed record ClusterSettings(
    bool Enabled,
    string Hostname,
    int Port,
    IReadOnlyList<DnsEndPoint> SeedNodes,
    int MaxDraining,
    TimeSpan QueueReserve,
    TimeSpan DownUnreachableAfter)
{
    /// <summary>The actor system's name: it is part of every node's address (see GatewayHostingExtensions).</summary>
    public const string SystemName = "gateway";

    /// <summary>A gateway alone: the section as hocon/reference.conf ships it.</summary>
    public static ClusterSettings Disabled => Configuration.GatewayConfigLoader.Shipped.Cluster;

    /// <summary>The Akka address of a node at <paramref name="endpoint"/>.</summary>
    public static string AkkaAddress(DnsEndPoint endpoint) => $"akka.tcp://{SystemName}@{endpoint.Host}:{endpoint.Port}";

    public override string ToString() =>
        Enabled
            ? $"cluster node {Hostname}:{Port}, seeds [{string.Join(", ", SeedNodes.Select(s => $"{s.Host}:{s.Port}"))}], max-draining {MaxDraining}"
            : "not clustered";
}
