using Akka.Actor;
using Akka.Event;
using static Gateway.Lifecycle.DrainProtocol;
using static Gateway.Upstreams.EndpointProtocol;

namespace Gateway.Upstreams;

/// <summary>The endpoint drains in force: out of rotation, in-flight requests finish, the pool closed; undrained with a slow start.</summary>
internal sealed partial class UpstreamActor
{
    /// <summary>Drains the endpoints an operator named (and their addresses), undrains the others.</summary>
    private void ApplyDrains()
    {
        if (_endpoints is null || _handle?.Drains is not { } drains) return;
        var drained = drains.Of(Name);
        foreach (var endpoint in _endpoints.All)
        {
            var tracked = _tracked[endpoint];
            if (tracked.Retiring) continue;
            var wanted = drained.Any(name => EndpointSet.Matches(endpoint, name));
            if (wanted && endpoint.IsInService) BeginDrain(endpoint, tracked, drains.Deadline, "drained by an operator");
            else if (!wanted && endpoint.IsDrainingOrDrained)
            {
                Timers.Cancel(endpoint);
                tracked.Drain++;
                endpoint.Undrain(_endpoints.Now);
                _log.Info("Upstream {0}: endpoint {1} undrained: back in rotation{2}", Name, endpoint, SlowStartNote());
            }
        }
    }

    private void BeginDrain(UpstreamEndpoint endpoint, Tracked tracked, TimeSpan deadline, string why)
    {
        var drain = ++tracked.Drain;
        var self = Self;
        _log.Info("Upstream {0}: endpoint {1} draining ({2}): {3} request(s) in flight finish, no new one", Name, endpoint, why, endpoint.InFlight);
        endpoint.BeginDrain().ContinueWith(_ => self.Tell(new EndpointIdle(endpoint, drain)), TaskContinuationOptions.ExecuteSynchronously);
        Timers.StartSingleTimer(endpoint, new EndpointDeadline(endpoint, drain), deadline);
    }

    private void EndDrain(UpstreamEndpoint endpoint, long drain, bool forced)
    {
        if (!_tracked.TryGetValue(endpoint, out var tracked) || tracked.Drain != drain || endpoint.IsInService || endpoint.IsDrained) return;
        Timers.Cancel(endpoint);
        if (forced)
            _log.Warning("Upstream {0}: endpoint {1} drained at its deadline with {2} request(s) still in flight: its pool is closed", Name, endpoint, endpoint.InFlight);
        else
            _log.Info("Upstream {0}: endpoint {1} drained: nothing in flight, its pooled connections closed", Name, endpoint);
        endpoint.CompleteDrain();
        if (tracked.Retiring) Remove(endpoint);
    }
}
