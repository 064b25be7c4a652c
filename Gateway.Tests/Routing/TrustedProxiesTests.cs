using System.Net;
using Gateway.Routing;
using Xunit;

namespace Gateway.Tests.Routing;

/// <summary>Which peers <c>forwarded-headers = append</c> trusts.</summary>
public sealed class TrustedProxiesTests
{
    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("::ffff:10.1.2.3", true)]   // an IPv4 client on a dual-stack socket
    [InlineData("192.168.1.7", true)]
    [InlineData("192.168.1.8", false)]
    [InlineData("fd00::1", true)]
    [InlineData("11.0.0.1", false)]
    [InlineData("::1", false)]
    public void A_peer_is_trusted_when_it_is_in_a_range(string peer, bool trusted) =>
        Assert.Equal(trusted, new TrustedProxies(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]).Contains(IPAddress.Parse(peer)));

    [Fact]
    public void Without_ranges_every_peer_is_trusted_and_an_unknown_peer_never_is_with_them()
    {
        Assert.True(new TrustedProxies([]).Contains(IPAddress.Parse("6.6.6.6")));
        Assert.False(new TrustedProxies(["10.0.0.0/8"]).Contains(null));
    }
}
