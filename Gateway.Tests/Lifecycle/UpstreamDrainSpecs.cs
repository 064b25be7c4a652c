using Gateway.Lifecycle;
using Xunit;
using Xunit.Abstractions;
using Gateway.Tests.Simulation;

namespace Gateway.Tests.Lifecycle;

/// <summary>Upstream pools drain last: once no listener (so no request) is left, until idle or the deadline.</summary>
public sealed class UpstreamDrainSpecs(ITestOutputHelper output) : GatewaySpec(output)
{
    [Fact]
    public async Task Upstream_drains_only_after_all_listeners_and_completes_when_its_in_flight_count_reaches_zero()
    {
        var upstream = Upstream("u", inFlight: 2);
        var gateway = StartGateway([Listener("a"), Listener("b")], upstream);
        var a1 = Accept(gateway, "a", "a1", inFlight: 1);
        var b1 = Accept(gateway, "b", "b1");
        gateway.Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);

        await Eventually(() => b1.HasEnded, "idle connection closed");
        await ExpectNothingAsync();
        Assert.Equal(0, Journal.Count("upstream u drain-begins")); // listener a still has a request in flight

        a1.FinishRequest();
        await Eventually(() => Journal.Count("upstream u drain-begins") == 1, "upstream drain began");
        Assert.True(Journal.First("conn a1 closed (closed after last response)").Seq < Journal.First("upstream u drain-begins").Seq);

        upstream.FinishRequest();
        await ExpectNothingAsync(); // one request still forwarded: the pool stays open
        Assert.Equal(0, Journal.Count("upstream u closed"));

        upstream.FinishRequest();
        var done = await ExpectMsgAsync<DrainProtocol.DrainComplete>(Arrival);
        Assert.Equal("gateway", done.Path);
        Assert.True(Journal.First("upstream u idle").Seq < Journal.First("upstream u closed").Seq);
        Assert.Equal(1, Journal.Count("upstream u closed"));
    }

    [Fact]
    public async Task Upstream_with_requests_still_in_flight_is_closed_at_the_deadline()
    {
        var upstream = Upstream("u", inFlight: 1);
        StartGateway([Listener("a")], upstream).Tell(GracefulDrain(TimeSpan.FromSeconds(30)), TestActor);
        var deadline = DeadlineIn(TimeSpan.FromSeconds(30));

        // No connection: the listener is done once unbound, so the upstream drain starts at once.
        await Eventually(() => Journal.Count("upstream u drain-begins") == 1, "upstream drain began");
        Clock.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(1));
        await ExpectNothingAsync();
        Assert.Equal(0, Journal.Count("upstream u closed"));

        Clock.Advance(TimeSpan.FromMilliseconds(2));
        var done = await ExpectMsgAsync<DrainProtocol.DrainComplete>(Arrival);
        Assert.Equal("gateway", done.Path);
        Assert.True(Journal.First("upstream u closed").At >= deadline);
        Assert.Equal(1, upstream.InFlight); // closed with the request in flight: it was not idle, it was forced
    }
}
