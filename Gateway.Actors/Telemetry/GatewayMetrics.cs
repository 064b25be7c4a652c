using Gateway.Hosting;
using Gateway.Lifecycle;
using Prometheus;

namespace Gateway.Telemetry;

/// <summary>
/// The gateway's Prometheus metrics. prometheus-net (stable, a plain text exposition with no SDK pipeline) rather
/// than OpenTelemetry's exporter (still a beta here): most values already live in lock-free counters on the
/// listener and upstream handles, so they are read at scrape time; the only per-request work is one increment on a
/// pre-resolved (route, status class) counter.
/// </summary>
internal sealed class GatewayMetrics
{
    private static readonly string[] Classes = ["1xx", "2xx", "3xx", "4xx", "5xx"];
    private readonly Counter _requests;
    private readonly Counter _upstreamErrors;
    private readonly Counter _grpcResponses;

    public GatewayMetrics(GatewayRuntime runtime)
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("gateway_requests_total", "Requests answered, by route and status class.", "route", "class");
        _upstreamErrors = factory.CreateCounter("gateway_upstream_errors_total", "Forwarding failures, by upstream and error.", "upstream", "error");
        _grpcResponses = factory.CreateCounter("gateway_grpc_responses_total", "gRPC calls answered, by route and gRPC status (OK, UNAVAILABLE, ...; missing: none was sent).", "route", "code");
        var connections = factory.CreateGauge("gateway_connections", "Open downstream connections by listener and state.", "listener", "state");
        var inFlight = factory.CreateGauge("gateway_requests_in_flight", "Requests in flight by listener.", "listener");
        var streams = factory.CreateGauge("gateway_streams", "Long-lived streams in flight (WebSocket, SSE) by listener.", "listener");
        var forced = factory.CreateGauge("gateway_connections_forced", "Connections forced at a drain deadline, by listener (since start).", "listener");
        var accepted = factory.CreateGauge("gateway_connections_accepted", "Connections accepted by listener (since start).", "listener");
        var accepting = factory.CreateGauge("gateway_listener_accepting", "1 while the listener accepts new connections.", "listener");
        var upstreamInFlight = factory.CreateGauge("gateway_upstream_requests_in_flight", "Requests being forwarded, by upstream.", "upstream");
        var phase = factory.CreateGauge("gateway_drain_phase", "1 for the current drain phase.", "phase");
        var draining = factory.CreateGauge("gateway_draining", "1 from the start of a drain on.");
        var duration = factory.CreateGauge("gateway_drain_duration_seconds", "Seconds since the drain began (0 while serving).");
        var generation = factory.CreateGauge("gateway_generation", "The process generation (1, then +1 per hot restart).");
        var expiry = factory.CreateGauge("gateway_tls_certificate_expiry_days", "Days until the certificate in service expires, by listener and certificate (default or SNI name).", "listener", "certificate");
        var overLimit = factory.CreateCounter("gateway_connections_over_limit_total", "Connections closed on arrival because the listener had max-connections open, by listener.", "listener");
        var refused = factory.CreateCounter("gateway_tls_refused_total", "Connections to a TLS listener closed before a request, by listener and reason.", "listener", "reason");

        UpstreamEndpointMetrics.Register(factory, Registry, runtime);
        Registry.AddBeforeCollectCallback(() =>
        {
            foreach (var listener in runtime.Listeners.All)
            {
                connections.WithLabels(listener.Name, "open").Set(listener.Counters.OpenConnections);
                connections.WithLabels(listener.Name, "idle").Set(listener.Counters.IdleConnections);
                connections.WithLabels(listener.Name, "active").Set(listener.Counters.ActiveConnections);
                inFlight.WithLabels(listener.Name).Set(listener.Counters.InFlightRequests);
                forced.WithLabels(listener.Name).Set(listener.Counters.ForcedConnections);
                streams.WithLabels(listener.Name).Set(listener.Counters.Streams);
                accepted.WithLabels(listener.Name).Set(listener.Counters.AcceptedConnections);
                accepting.WithLabels(listener.Name).Set(listener.Accepting ? 1 : 0);
                if (listener.Protocol == Configuration.ListenerProtocol.Http)
                    overLimit.WithLabels(listener.Name).IncTo(listener.Counters.ConnectionsOverLimit);
                if (listener.Tls is not { } tls) continue;
                foreach (var certificate in tls.InService)
                    expiry.WithLabels(listener.Name, certificate.Name).Set(certificate.DaysToExpiry(runtime.State.Time.GetUtcNow()));
                foreach (var reason in Enum.GetValues<Tls.TlsRefusal>())
                    refused.WithLabels(listener.Name, Tls.TlsRefusalNames.Of(reason)).IncTo(listener.Counters.TlsRefused(reason));
            }
            foreach (var upstream in runtime.Upstreams)
                upstreamInFlight.WithLabels(upstream.Name).Set(upstream.InFlight);
            var state = runtime.State;
            foreach (var p in Enum.GetValues<GatewayPhase>())
                phase.WithLabels(p.ToString()).Set(state.Phase == p ? 1 : 0);
            draining.Set(state.Phase == GatewayPhase.Serving ? 0 : 1);
            duration.Set(state.DrainStartedAt is { } t0 ? (state.Time.GetUtcNow() - t0).TotalSeconds : 0);
            generation.Set(runtime.Generation);
        });
    }

    public CollectorRegistry Registry { get; }

    /// <summary>The per-route counters, resolved once so that a request only increments.</summary>
    internal Counter.Child[] ForRoute(string route) => Classes.Select(c => _requests.WithLabels(route, c)).ToArray();

    internal void UpstreamError(string upstream, string error) => _upstreamErrors.WithLabels(upstream, error).Inc();

    internal void GrpcResponse(string route, string code) => _grpcResponses.WithLabels(route, code).Inc();

    /// <summary>Writes the Prometheus text exposition.</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        Registry.CollectAndExportAsTextAsync(destination, cancellationToken);
}
