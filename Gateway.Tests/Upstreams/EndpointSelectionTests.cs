using Gateway.Configuration;
using Gateway.Tests.Support;
using Gateway.Upstreams;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// How a request picks an endpoint, on virtual time: round-robin over those in rotation, a slow start that ramps a
/// returning endpoint's share up, the least bad endpoint when none is in rotation, never a drained one, and a drain
/// that no request racing it can slip past.
/// </summary>
public sealed class EndpointSelectionTests(ITestOutputHelper output)
{
    private static readonly TimeSpan SlowStart = TimeSpan.FromSeconds(10);
    private readonly ManualTime _time = new();

    private EndpointSet Set(int count, int seed = 7)
    {
        var settings = new UpstreamSettings("app",
            Enumerable.Range(1, count).Select(i => new Uri($"http://127.0.0.1:{9000 + i}/")).ToList(), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30))
        {
            SlowStart = SlowStart,
        };
        var handle = new UpstreamHandle(settings, _time);
        return new EndpointSet(handle.Endpoints.All, _time, settings.SlowStart, settings.EjectFor, new Random(seed));
    }

    private static Dictionary<UpstreamEndpoint, int> Picks(EndpointSet set, int n)
    {
        var picks = set.All.ToDictionary(e => e, _ => 0);
        for (var i = 0; i < n; i++)
        {
            var endpoint = set.Lease()!;
            picks[endpoint]++;
            endpoint.Leave();
        }
        return picks;
    }

    [Fact]
    public void Endpoints_in_rotation_share_requests_evenly()
    {
        var set = Set(3);
        Assert.All(Picks(set, 3000).Values, n => Assert.Equal(1000, n));
    }

    [Fact]
    public void A_returning_endpoint_gets_a_share_that_ramps_up_over_its_slow_start()
    {
        var set = Set(3);
        var back = set.All[2];
        back.MarkUnhealthy();
        Assert.Equal(0, Picks(set, 300)[back]);

        back.MarkHealthy(set.Now);
        var shares = new List<double>();
        var previous = 0;
        foreach (var at in new[] { 0, 2, 5, 8, 10, 12 })
        {
            _time.Advance(TimeSpan.FromSeconds(at - previous));
            previous = at;
            var share = Picks(set, 6000)[back] / 6000.0;
            output.WriteLine($"{at,2}s after it came back: {share:P1} of requests (even share 33.3%)");
            shares.Add(share);
        }
        Assert.InRange(shares[0], 0.01, 0.08);                    // 10% of its turns at the start
        for (var i = 1; i < shares.Count - 1; i++) Assert.True(shares[i] > shares[i - 1], $"the share grows: {string.Join(", ", shares)}");
        Assert.InRange(shares[^2], 0.32, 0.345);                  // at 10 s it has its full share
        Assert.InRange(shares[^1], 0.32, 0.345);
    }

    [Fact]
    public void A_passive_ejection_takes_an_endpoint_out_until_it_ends_then_it_ramps_up()
    {
        var set = Set(2);
        var ejected = set.All[0];
        Assert.True(ejected.Eject(set.Now, set.Now + set.Ticks(TimeSpan.FromSeconds(3))));
        Assert.False(ejected.Eject(set.Now, set.Now + set.Ticks(TimeSpan.FromSeconds(3))), "already out: not taken out twice");
        Assert.Equal(EndpointState.Ejected, ejected.StateAt(set.Now));
        Assert.Equal(0, Picks(set, 100)[ejected]);

        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(EndpointState.Healthy, ejected.StateAt(set.Now));
        var share = Picks(set, 4000)[ejected] / 4000.0;
        Assert.InRange(share, 0.02, 0.15);  // back, ramping up from its slow start's first tenth
        _time.Advance(SlowStart);
        Assert.Equal(2000, Picks(set, 4000)[ejected]);
    }

    [Fact]
    public void With_no_endpoint_in_rotation_the_least_bad_in_service_is_used_and_a_drained_one_never()
    {
        var set = Set(3);
        var (a, b, c) = (set.All[0], set.All[1], set.All[2]);
        foreach (var e in set.All) e.MarkUnhealthy();
        for (var i = 0; i < 3; i++) a.Failed();
        b.Failed();
        for (var i = 0; i < 2; i++) c.Failed();
        var picks = Picks(set, 50);
        Assert.Equal(50, picks[b]);  // fewest failures in a row

        b.BeginDrain();
        picks = Picks(set, 50);
        Assert.Equal(0, picks[b]);
        Assert.Equal(50, picks[c]);

        a.BeginDrain();
        c.BeginDrain();
        Assert.Null(set.Lease());  // every endpoint drained or draining: nothing to send to
    }

    [Fact]
    public async Task A_drain_waits_for_the_requests_in_flight_and_no_request_racing_it_slips_past()
    {
        var set = Set(2);
        var endpoint = set.All[0];
        Assert.True(endpoint.TryEnter());
        Assert.True(endpoint.TryEnter());
        var idle = endpoint.BeginDrain();
        Assert.False(endpoint.TryEnter(), "a request that counts itself after the drain began is not taken");
        Assert.Equal(2, endpoint.InFlight);
        endpoint.Leave();
        Assert.False(idle.IsCompleted);
        endpoint.Leave();
        await idle.WaitAsync(TimeSpan.FromSeconds(5));
        endpoint.CompleteDrain();
        Assert.Equal(EndpointState.Drained, endpoint.StateAt(set.Now));

        // Undrained: a new pool, back in rotation with a slow start.
        endpoint.Undrain(set.Now);
        Assert.Equal(EndpointState.Healthy, endpoint.StateAt(set.Now));
        Assert.True(endpoint.Share(set.Now, set.SlowStartTicks) < 0.2);
        Assert.True(endpoint.TryEnter());
        endpoint.Leave();
    }

    [Fact]
    public void A_retry_never_goes_back_to_an_endpoint_it_tried()
    {
        var set = Set(3);
        var first = set.Lease()!;
        first.Leave();
        var second = set.Lease([first])!;
        second.Leave();
        var third = set.Lease([first, second])!;
        third.Leave();
        Assert.Equal(3, new[] { first, second, third }.Distinct().Count());
        Assert.Null(set.Lease([first, second, third]));
    }

    [Fact]
    public void Retries_are_at_most_the_budget_share_of_requests_plus_the_reserve()
    {
        var budget = new RetryBudget(0.2);
        var retries = 0;
        for (var request = 0; request < 1000; request++)
        {
            budget.Deposit();
            if (budget.TryWithdraw()) retries++;  // every request fails and wants a retry
        }
        output.WriteLine($"1000 failing requests: {retries} retries");
        Assert.InRange(retries, 200, 200 + RetryBudget.Reserve);

        var off = new RetryBudget(0);
        Assert.Equal(RetryBudget.Reserve, Enumerable.Range(0, 100).Count(_ =>
        {
            off.Deposit();
            return off.TryWithdraw();
        }));
    }
}
