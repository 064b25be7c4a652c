using Gateway.Configuration;
using Gateway.Tests.Support;
using Gateway.Upstreams;
using Xunit;

namespace Gateway.Tests.Upstreams;

/// <summary>Passive ejection on the upstream's injected clock: taken out by failures, back exactly when eject-for ends.</summary>
public sealed class PassiveEjectionTests
{
    private readonly ManualTime _time = new();

    private UpstreamHandle Upstream(int ejectAfter5xx = 0) => new(new UpstreamSettings("app",
        [new Uri("http://127.0.0.1:9001/"), new Uri("http://127.0.0.1:9002/")], TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30))
    {
        EjectFor = TimeSpan.FromSeconds(10),
        EjectAfter5xx = ejectAfter5xx,
        SlowStart = TimeSpan.Zero,
    }, _time);

    [Fact]
    public void An_endpoint_that_refused_a_connection_is_out_for_eject_for_on_the_upstreams_clock_and_back_when_it_ends()
    {
        var upstream = Upstream();
        var endpoint = upstream.Endpoints.All[0];

        Assert.True(upstream.Observe(endpoint, failed: true, neverReached: true, status: 502), "never reached: taken out at once");
        Assert.Equal(EndpointState.Ejected, endpoint.StateAt(upstream.Endpoints.Now));

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(EndpointState.Ejected, endpoint.StateAt(upstream.Endpoints.Now));
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(EndpointState.Healthy, endpoint.StateAt(upstream.Endpoints.Now));
    }

    [Fact]
    public void Consecutive_5xx_answers_eject_after_the_configured_count_and_an_answer_in_between_resets_it()
    {
        var upstream = Upstream(ejectAfter5xx: 2);
        var endpoint = upstream.Endpoints.All[1];

        Assert.False(upstream.Observe(endpoint, failed: false, neverReached: false, status: 503));
        Assert.False(upstream.Observe(endpoint, failed: false, neverReached: false, status: 200));
        Assert.False(upstream.Observe(endpoint, failed: false, neverReached: false, status: 500));
        Assert.True(upstream.Observe(endpoint, failed: false, neverReached: false, status: 500));
        Assert.Equal(EndpointState.Ejected, endpoint.StateAt(upstream.Endpoints.Now));

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(EndpointState.Healthy, endpoint.StateAt(upstream.Endpoints.Now));
    }
}
