using Akka.Actor;
using Akka.Event;
using static Gateway.Upstreams.EndpointProtocol;

namespace Gateway.Upstreams;

/// <summary>The active health checks: each endpoint's checks in a row take it out of rotation or bring it back.</summary>
internal sealed partial class UpstreamActor
{
    private void StartChecks()
    {
        if (_checker is not { } checker) return;
        var self = Self;
        foreach (var (endpoint, tracked) in _tracked)
        {
            if (tracked.Checking || tracked.Retiring) continue;
            tracked.Checking = true;
            checker.CheckAsync(endpoint).ContinueWith(t => self.Tell(new CheckDone(endpoint, t.Result)), TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    private void OnChecked(CheckDone done)
    {
        if (!_tracked.TryGetValue(done.Endpoint, out var tracked)) return;
        var endpoint = done.Endpoint;
        var check = _handle!.Settings.HealthCheck!;
        tracked.Checking = false;
        endpoint.Checked(done.Result);
        var now = _endpoints!.Now;
        if (endpoint.EjectedUntil != tracked.EjectionSeen)
        {
            tracked.EjectionSeen = endpoint.EjectedUntil;
            tracked.PassedSinceEjection = 0;
        }
        if (done.Result.Passed)
        {
            tracked.FailedInARow = 0;
            tracked.PassedInARow++;
            tracked.PassedSinceEjection++;
            if (!endpoint.CheckedHealthy && tracked.PassedInARow >= check.HealthyAfter)
            {
                endpoint.MarkHealthy(now);
                _log.Info("Upstream {0}: endpoint {1} passed {2} check(s) in a row: back in rotation{3}", Name, endpoint, tracked.PassedInARow, SlowStartNote());
            }
            // Passive health took it out; checks that pass since then bring it back before its ejection ends.
            else if (endpoint.EjectedUntil > now && tracked.PassedSinceEjection >= check.HealthyAfter)
            {
                endpoint.MarkHealthy(now);
                tracked.EjectionSeen = 0;
                _log.Info("Upstream {0}: endpoint {1} ejected, but passed {2} check(s) since: back in rotation{3}", Name, endpoint, tracked.PassedSinceEjection, SlowStartNote());
            }
        }
        else
        {
            tracked.PassedInARow = 0;
            tracked.FailedInARow++;
            if (endpoint.CheckedHealthy && tracked.FailedInARow >= check.UnhealthyAfter)
            {
                endpoint.MarkUnhealthy();
                _log.Warning("Upstream {0}: endpoint {1} failed {2} check(s) in a row ({3}): out of rotation, its {4} request(s) in flight finish",
                    Name, endpoint, tracked.FailedInARow, done.Result.Detail, endpoint.InFlight);
            }
        }
    }

    private string SlowStartNote() => _handle?.Settings.SlowStart is { } slow && slow > TimeSpan.Zero
        ? $", its share ramping up over {slow.TotalSeconds:0.###}s"
        : "";
}
