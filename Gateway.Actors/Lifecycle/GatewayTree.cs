using Akka.Actor;
using Gateway.Connections;
using Gateway.Listeners;
using Gateway.Upstreams;

namespace Gateway.Lifecycle;

/// <summary>
/// The seam for simulating the gateway's lifecycle outside it: the production actor tree over ports of your own
/// (<see cref="IListenerPort"/>, <see cref="IConnectionPort"/>, <see cref="IUpstreamPort"/>), driven with
/// <see cref="DrainProtocol"/> messages, on a virtual-time scheduler if you like. The actors themselves stay internal.
/// </summary>
public static class GatewayTree
{
    /// <summary>The conventional name of the tree's root under /user.</summary>
    public const string Name = GatewaySupervisor.Name;

    /// <summary>The root of the tree: a listener actor per listener port, an upstream actor per upstream port.</summary>
    /// <param name="random">Spreads idle closes (<see cref="IdleClosePolicy.Spread"/>); seed it to fix each moment.</param>
    public static Props Props(IReadOnlyList<IListenerPort> listeners, IReadOnlyList<IUpstreamPort> upstreams, Random? random = null) =>
        GatewaySupervisor.Props(listeners, upstreams, random);

    /// <summary>The message that hands the root a connection accepted by a listener, as Kestrel's accept does.</summary>
    public static object ConnectionAccepted(string listener, IConnectionPort connection) =>
        new GatewaySupervisor.ConnectionAccepted(listener, connection);
}
