using System.Security.Authentication;
using System.Text.Json.Nodes;
using Gateway.Configuration;

namespace Gateway.Host.Cli;

/// <summary>
/// The configuration in force, rendered from the settings as the keys of a file: <c>{ "gateway": { … } }</c> with
/// every key the settings hold, durations and sizes in the units a person writes (<c>30s</c>, <c>64KiB</c>), secrets
/// and endpoint credentials masked. Read again by the loader (as HOCON, or as JSON, which HOCON is a superset of) it
/// gives the same settings, the masked secrets aside.
/// </summary>
internal static class EffectiveConfig
{
    /// <summary>What a secret (the admin token, an endpoint's credentials) is printed as.</summary>
    public const string Masked = "***";

    /// <summary>The tree of keys, for <c>config --json</c> and <c>GET /config</c>.</summary>
    public static JsonObject Json(GatewaySettings s) => new() { ["gateway"] = Gateway(s) };

    /// <summary>The same tree as a HOCON file, headed by where the configuration came from.</summary>
    public static string Hocon(GatewaySettings s) => $"# effective configuration of {s.Source}\n" + HoconText.Write(Json(s));

    private static JsonObject Gateway(GatewaySettings s)
    {
        var tcpListeners = s.Listeners.Where(l => l.Protocol == ListenerProtocol.Tcp).Select(l => l.Name).ToHashSet();
        // An upstream behind a tcp route takes host:port endpoints (an http:// one is refused there).
        var tcpUpstreams = s.Routes.Where(r => tcpListeners.Contains(r.Listener)).Select(r => r.Upstream).ToHashSet();
        return Object(
            ("listeners", Named(s.Listeners, l => l.Name, Listener)),
            ("routes", Named(s.Routes, r => r.Name, r => tcpListeners.Contains(r.Listener) ? TcpRoute(r) : Route(r))),
            ("upstreams", Named(s.Upstreams, u => u.Name, u => Upstream(u, tcpUpstreams.Contains(u.Name)))),
            ("admin", Object(("address", s.Admin.Address.ToString()), ("token", s.Admin.Token is null ? null : Masked))),
            ("limits", Limits(s.Limits, LimitSettings.Keys)),
            ("drain", Object(
                ("announce", Duration(s.Drain.Announce)), ("deadline", Duration(s.Drain.Deadline)),
                ("idle-quiet", Duration(s.Drain.IdleQuiet)), ("close-spread", Duration(s.Drain.CloseSpread)),
                ("goaway-ack-timeout", Duration(s.Drain.GoAwayAckTimeout)))),
            ("hot-restart", Object(("socket", s.HotRestart.SocketPath))),
            ("log", Object(("format", s.JsonLogs ? "json" : "text"))),
            ("io-threads", s.IoThreads is { } threads ? (JsonNode)threads : "auto"),
            ("via-name", s.ViaName),
            ("access-log", s.AccessLog is { } log ? Object(("path", log.Path), ("buffer", log.Buffer)) : Object(("path", ""))),
            ("cluster", Cluster(s.Cluster)));
    }

    private static JsonObject Listener(ListenerSettings l) => Object(
        ("address", l.Address.ToString()),
        ("protocol", l.Protocol == ListenerProtocol.Tcp ? "tcp" : "http"),
        ("idle-timeout", l.IdleTimeout is { } idle ? Duration(idle) : null),
        // A tcp listener carries no request: limits and TLS are http's.
        ("limits", l.Protocol == ListenerProtocol.Http ? Limits(l.Limits, LimitSettings.PerListenerKeys) : null),
        ("tls", l.Tls is { } tls ? ListenerTls(tls) : null));

    private static JsonObject ListenerTls(ListenerTlsSettings t) => Object(
        ("certificate", t.Default.Certificate),
        ("key", t.Default.PrivateKey),
        ("min-version", t.Protocols.HasFlag(SslProtocols.Tls12) ? "1.2" : "1.3"),
        ("unknown-sni", t.UnknownSni == UnknownSni.Refuse ? "refuse" : "default"),
        ("sni", t.Sni.Count == 0 ? null : Named(t.Sni.OrderBy(p => p.Key, StringComparer.Ordinal), p => p.Key,
            p => Object(("certificate", p.Value.Certificate), ("key", p.Value.PrivateKey)))));

    private static JsonObject Limits(LimitSettings l, IReadOnlyList<string> keys) => Object([.. new (string Key, JsonNode? Value)[]
        {
            ("max-connections", l.MaxConnections),
            ("max-request-line-bytes", Size(l.MaxRequestLineBytes)),
            ("max-header-bytes", Size(l.MaxHeaderBytes)),
            ("max-body-bytes", Size(l.MaxBodyBytes)),
            ("header-timeout", Duration(l.HeaderTimeout)),
            ("min-body-bytes-per-second", l.MinBodyBytesPerSecond),
            ("min-body-rate-grace", Duration(l.MinBodyRateGrace)),
        }.Where(p => keys.Contains(p.Key))]);

    private static JsonObject Route(RouteSettings r) => Object(
        ("listener", r.Listener),
        ("path-prefix", r.PathPrefix),
        ("host", r.Host),
        ("upstream", r.Upstream),
        ("direct-response", r.DirectResponse is { } d ? Object(("status", d.Status), ("body", d.Body)) : null),
        ("redirect-https", r.RedirectHttps is not null),
        ("redirect-https-port", r.RedirectHttps?.Port),
        ("streams", Object(("on-drain", r.Streams.OnDrain == StreamDrainPolicy.GracefulClose ? "graceful-close" : "keep-until-deadline"),
            ("grace", Duration(r.Streams.Grace)), ("sse-retry", Duration(r.Streams.SseRetry)))),
        ("forwarded-headers", r.Forwarding.ForwardedHeaders.ToString().ToLowerInvariant()),
        // Only append keeps a peer's headers: the list is refused with any other mode.
        ("trusted-proxies", r.Forwarding.ForwardedHeaders == ForwardedHeadersMode.Append ? new JsonArray([.. r.Forwarding.TrustedProxies.Select(p => (JsonNode)p)]) : null),
        ("preserve-host", r.Forwarding.PreserveHost));

    /// <summary>A gRPC check has a service and no path or expect (the reader refuses them on it), an HTTP one the reverse.</summary>
    private static JsonObject HealthCheck(HealthCheckSettings h)
    {
        var grpc = h.Protocol == HealthCheckProtocol.Grpc;
        return Object(
            ("protocol", grpc ? "grpc" : "http"),
            ("service", grpc ? h.Service : null),
            ("path", grpc ? null : h.Path),
            ("interval", Duration(h.Interval)), ("timeout", Duration(h.Timeout)),
            ("unhealthy-after", h.UnhealthyAfter), ("healthy-after", h.HealthyAfter),
            ("expect", grpc ? null : h.Expect));
    }

    /// <summary>A route of a tcp listener relays bytes: its listener and upstream are all it has.</summary>
    private static JsonObject TcpRoute(RouteSettings r) => Object(("listener", r.Listener), ("upstream", r.Upstream));

    private static JsonObject Upstream(UpstreamSettings u, bool tcp) => Object(
        ("endpoints", new JsonArray([.. u.Endpoints.Select(e => (JsonNode)Endpoint(e, tcp))])),
        ("connect-timeout", Duration(u.ConnectTimeout)),
        ("response-timeout", Duration(u.ResponseTimeout)),
        ("eject-for", Duration(u.EjectFor)),
        ("eject-after-5xx", u.EjectAfter5xx),
        ("health-check", u.HealthCheck is { } h ? HealthCheck(h) : null),
        ("slow-start", Duration(u.SlowStart)),
        ("retries", u.Retries),
        ("retry-buffer", Size(u.RetryBuffer)),
        ("retry-budget", ConfigUnits.FormatShare(u.RetryBudget)),
        ("dns-refresh", Duration(u.DnsRefresh)),
        ("tls", u.Tls is { } t ? Object(
            ("ca", t.CaFile),
            ("client-certificate", t.ClientCertificate?.Certificate),
            ("client-key", t.ClientCertificate?.PrivateKey),
            ("verify", t.Verify)) : null));

    /// <summary>An endpoint as written: <c>host:port</c> behind a tcp route, else with its scheme; credentials masked.</summary>
    private static string Endpoint(Uri e, bool tcp) =>
        (tcp ? "" : e.Scheme + "://") + (e.UserInfo.Length > 0 ? Masked + "@" : "") + (tcp ? $"{e.Host}:{e.Port}" : e.Authority);

    /// <summary>Off: the rest of the section is ignored, so it is not shown.</summary>
    private static JsonObject Cluster(Gateway.Cluster.ClusterSettings c) => !c.Enabled
        ? Object(("enabled", false))
        : Object(
            ("enabled", true),
            ("hostname", c.Hostname),
            ("port", c.Port),
            ("seed-nodes", new JsonArray([.. c.SeedNodes.Select(n => (JsonNode)(n.Host.Contains(':') ? $"[{n.Host}]:{n.Port}" : $"{n.Host}:{n.Port}"))])),
            ("max-draining", c.MaxDraining),
            ("queue-reserve", Duration(c.QueueReserve)),
            ("down-unreachable-after", Duration(c.DownUnreachableAfter)));

    private static JsonNode Duration(TimeSpan t) => ConfigUnits.FormatDuration(t);

    private static JsonNode Size(long bytes) => ConfigUnits.FormatSize(bytes);

    /// <summary>An object of the keys whose value is set (a null value is a key left out).</summary>
    private static JsonObject Object(params (string Key, JsonNode? Value)[] items) =>
        new(items.Where(i => i.Value is not null).Select(i => KeyValuePair.Create(i.Key, i.Value)));

    private static JsonObject Named<T>(IEnumerable<T> items, Func<T, string> name, Func<T, JsonObject> value) =>
        new(items.Select(i => KeyValuePair.Create(name(i), (JsonNode?)value(i))));
}
