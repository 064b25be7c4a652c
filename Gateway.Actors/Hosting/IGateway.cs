using System.Net;
using Gateway.Configuration;
using Gateway.Lifecycle;

namespace Gateway.Hosting;

/// <summary>
/// What an embedding application reads of its gateway: the configuration in force, the drain state (for a
/// readiness probe of its own) and where it listens. Returned by <c>AddGateway</c> and registered in DI.
/// </summary>
public interface IGateway
{
    /// <summary>The configuration in force (the latest one a reload accepted).</summary>
    GatewaySettings Settings { get; }

    /// <summary>The gateway's drain state: its phase (serving until a drain begins), deadline and outcome.</summary>
    GatewayState State { get; }

    /// <summary>1 for a gateway started fresh; one more than its predecessor's after a hot restart.</summary>
    int Generation { get; }

    /// <summary>The address a listener is bound to (port 0 in the configuration is a real port here).</summary>
    /// <exception cref="KeyNotFoundException">No listener has that name.</exception>
    IPEndPoint AddressOf(string listener);

    /// <summary>The address the admin socket is bound to.</summary>
    IPEndPoint AdminAddress { get; }
}
