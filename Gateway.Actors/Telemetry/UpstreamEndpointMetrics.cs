using Gateway.Hosting;
using Gateway.Upstreams;
using Prometheus;

namespace Gateway.Telemetry;

/// <summary>
/// Per-endpoint metrics, read at scrape time from the counters requests and the upstream actors already keep:
/// state (1 for the current one), in flight, requests, failures, health checks by result. An endpoint that went
/// away (a reload, a DNS answer) loses its series.
/// </summary>
internal sealed class UpstreamEndpointMetrics
{
    private static readonly EndpointState[] States = Enum.GetValues<EndpointState>();
    private readonly Gauge _state;
    private readonly Gauge _inFlight;
    private readonly Counter _requests;
    private readonly Counter _failures;
    private readonly Counter _checks;
    private HashSet<(string Upstream, string Endpoint)> _seen = [];

    private UpstreamEndpointMetrics(MetricFactory factory)
    {
        _state = factory.CreateGauge("gateway_upstream_endpoint_state", "1 for the state each upstream endpoint is in (healthy, unhealthy, ejected, draining, drained).", "upstream", "endpoint", "state");
        _inFlight = factory.CreateGauge("gateway_upstream_endpoint_requests_in_flight", "Requests being forwarded to each upstream endpoint.", "upstream", "endpoint");
        _requests = factory.CreateCounter("gateway_upstream_endpoint_requests_total", "Requests sent to each upstream endpoint (retries included).", "upstream", "endpoint");
        _failures = factory.CreateCounter("gateway_upstream_endpoint_failures_total", "Requests to each upstream endpoint that got no answer (refused, reset, timed out).", "upstream", "endpoint");
        _checks = factory.CreateCounter("gateway_upstream_health_checks_total", "Active health checks of each upstream endpoint, by result.", "upstream", "endpoint", "result");
    }

    public static void Register(MetricFactory factory, CollectorRegistry registry, GatewayRuntime runtime)
    {
        var metrics = new UpstreamEndpointMetrics(factory);
        registry.AddBeforeCollectCallback(() => metrics.Collect(runtime));
    }

    private void Collect(GatewayRuntime runtime)
    {
        var seen = new HashSet<(string, string)>();
        foreach (var upstream in runtime.Upstreams)
        {
            var now = upstream.Endpoints.Now;
            foreach (var endpoint in upstream.Endpoints.All)
            {
                var (name, address) = (upstream.Name, endpoint.Address);
                if (!seen.Add((name, address))) continue;
                var state = endpoint.StateAt(now);
                foreach (var s in States)
                    _state.WithLabels(name, address, EndpointStateNames.Of(s)).Set(s == state ? 1 : 0);
                _inFlight.WithLabels(name, address).Set(endpoint.InFlight);
                _requests.WithLabels(name, address).IncTo(endpoint.Requests);
                _failures.WithLabels(name, address).IncTo(endpoint.Failures);
                if (upstream.Settings.HealthCheck is null) continue;
                _checks.WithLabels(name, address, "passed").IncTo(endpoint.ChecksPassed);
                _checks.WithLabels(name, address, "failed").IncTo(endpoint.ChecksFailed);
            }
        }
        foreach (var (name, address) in _seen.Except(seen))
        {
            foreach (var s in States) _state.RemoveLabelled(name, address, EndpointStateNames.Of(s));
            _inFlight.RemoveLabelled(name, address);
            _requests.RemoveLabelled(name, address);
            _failures.RemoveLabelled(name, address);
            _checks.RemoveLabelled(name, address, "passed");
            _checks.RemoveLabelled(name, address, "failed");
        }
        _seen = seen;
    }
}
