using System.Net;

namespace Gateway.Routing;

/// <summary>
/// The peers whose forwarding headers a route keeps (<c>forwarded-headers = append</c>): address ranges, or every
/// peer when none is configured.
/// </summary>
internal sealed class TrustedProxies
{
    private readonly IPNetwork[] _ranges;

    public TrustedProxies(IEnumerable<string> ranges) =>
        _ranges = ranges.Select(r => TryParseRange(r, out var range) ? range : throw new FormatException($"not an address range: {r}")).ToArray();

    /// <summary>
    /// A CIDR range (<c>10.0.0.0/8</c>, <c>fd00::/8</c>) or one address (<c>192.168.1.7</c>); a range with bits set
    /// beyond its prefix (<c>10.1.2.3/8</c>) is refused, as it may mean the one address.
    /// </summary>
    public static bool TryParseRange(string text, out IPNetwork range)
    {
        if (IPNetwork.TryParse(text, out range))
            return IPAddress.TryParse(text.AsSpan(0, text.IndexOf('/')), out var written) && written.Equals(range.BaseAddress);
        if (!IPAddress.TryParse(text, out var address)) return false;
        range = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
        return true;
    }

    /// <summary>Whether <paramref name="peer"/> (the connection's remote address) is trusted.</summary>
    public bool Contains(IPAddress? peer)
    {
        if (_ranges.Length == 0) return true;
        if (peer is null) return false;
        // A dual-stack socket reports an IPv4 client as ::ffff:a.b.c.d; the ranges are written as IPv4.
        if (peer.IsIPv4MappedToIPv6) peer = peer.MapToIPv4();
        foreach (var range in _ranges)
            if (range.Contains(peer)) return true;
        return false;
    }
}
