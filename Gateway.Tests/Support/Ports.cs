using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Support;

/// <summary>Loopback ports for tests.</summary>
public static class Ports
{
    /// <summary>A port nothing listens on (it was free a moment ago): connecting to it is refused.</summary>
    public static int Closed()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
