using System.Net;

namespace Gateway.Configuration;

/// <summary>
/// Two listening addresses that cannot both be bound: the same port and either the same address or a wildcard
/// (<c>0.0.0.0</c>, <c>[::]</c>) of the same family. The gateway's IPv6 sockets are IPv6 only, so <c>[::]</c> and
/// <c>0.0.0.0</c> do not overlap. Port 0 (any free port) overlaps nothing.
/// </summary>
internal static class AddressOverlap
{
    public static bool Overlaps(IPEndPoint a, IPEndPoint b) =>
        a.Port != 0 && a.Port == b.Port && a.AddressFamily == b.AddressFamily
        && (a.Address.Equals(b.Address) || IsWildcard(a.Address) || IsWildcard(b.Address));

    public static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);
}
