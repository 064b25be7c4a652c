using System.Globalization;
using System.Text;
using Gateway.Configuration;

namespace Gateway.Host.Cli;

/// <summary>The configuration in force after defaults are merged, as HOCON or JSON; secrets masked.</summary>
internal static class EffectiveConfig
{
    public static string Hocon(GatewaySettings s)
    {
        static string Q(string v) => "\"" + v.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
        static string D(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0}ms");
        var b = new StringBuilder();
        b.AppendLine($"# effective configuration of {s.Source}");
        b.AppendLine("gateway {");
        var tcpListeners = s.Listeners.Where(l => l.Protocol == ListenerProtocol.Tcp).Select(l => l.Name).ToHashSet();
        // An upstream behind a tcp route takes host:port endpoints (an http:// one is refused there).
        var tcpUpstreams = s.Routes.Where(r => tcpListeners.Contains(r.Listener)).Select(r => r.Upstream).ToHashSet();
        foreach (var l in s.Listeners)
        {
            var tls = l.Tls is not { } t ? ""
                : $", tls {{ certificate = {Q(t.Default.Certificate)}, key = {Q(t.Default.PrivateKey)}, min-version = {(t.Protocols.HasFlag(System.Security.Authentication.SslProtocols.Tls12) ? "\"1.2\"" : "\"1.3\"")}, unknown-sni = {t.UnknownSni.ToString().ToLowerInvariant()}"
                  + (t.Sni.Count == 0 ? "" : $", sni {{ {string.Join(", ", t.Sni.Select(p => $"{Q(p.Key)} {{ certificate = {Q(p.Value.Certificate)}, key = {Q(p.Value.PrivateKey)} }}"))} }}")
                  + " }";
            b.AppendLine($"  listeners.{l.Name} {{ address = {Q(l.Address.ToString())}" +
                (l.Protocol == ListenerProtocol.Tcp ? ", protocol = tcp" : "") +
                (l.IdleTimeout is { } idle ? $", idle-timeout = {D(idle)}" : "") +
                (l.Protocol == ListenerProtocol.Http && l.Limits != s.Limits ? $", limits {{ {ListenerLimits(l.Limits)} }}" : "") + tls + " }");
        }
        foreach (var u in s.Upstreams)
        {
            var tls = u.Tls is not { } t ? ""
                : ", tls { " + string.Join(", ", new[]
                {
                    t.CaFile is null ? null : $"ca = {Q(t.CaFile)}",
                    t.ClientCertificate is null ? null : $"client-certificate = {Q(t.ClientCertificate.Certificate)}, client-key = {Q(t.ClientCertificate.PrivateKey)}",
                    $"verify = {(t.Verify ? "on" : "off")}",
                }.OfType<string>()) + " }";
            b.AppendLine($"  upstreams.{u.Name} {{ endpoints = [{string.Join(", ", u.Endpoints.Select(e => Q(tcpUpstreams.Contains(u.Name) ? $"{e.Host}:{e.Port}" : e.ToString())))}], connect-timeout = {D(u.ConnectTimeout)}, response-timeout = {D(u.ResponseTimeout)}, {UpstreamPolicy(u)}{tls} }}");
        }
        foreach (var r in s.Routes)
        {
            if (tcpListeners.Contains(r.Listener))
            {
                b.AppendLine($"  routes.{r.Name} {{ listener = {r.Listener}, upstream = {r.Upstream} }}");
                continue;
            }
            var action = r.Upstream is not null ? $"upstream = {r.Upstream}"
                : r.RedirectHttps is { } redirect ? "redirect-https = on" + (redirect.Port is { } port ? $", redirect-https-port = {port}" : "")
                : $"direct-response {{ status = {r.DirectResponse!.Status}, body = {Q(r.DirectResponse.Body)} }}";
            b.AppendLine($"  routes.{r.Name} {{ listener = {r.Listener}, path-prefix = {Q(r.PathPrefix)}{(r.Host is null ? "" : $", host = {Q(r.Host)}")}, {action} }}");
        }
        b.AppendLine($"  admin {{ address = {Q(s.Admin.Address.ToString())}{(s.Admin.Token is null ? "" : ", token = \"***\"")} }}");
        b.AppendLine($"  limits {{ max-request-line-bytes = {s.Limits.MaxRequestLineBytes}B, max-header-bytes = {s.Limits.MaxHeaderBytes}B, header-timeout = {D(s.Limits.HeaderTimeout)}, {ListenerLimits(s.Limits)} }}");
        b.AppendLine($"  drain {{ announce = {D(s.Drain.Announce)}, deadline = {D(s.Drain.Deadline)} }}");
        b.AppendLine($"  hot-restart.socket = {Q(s.HotRestart.SocketPath)}");
        b.AppendLine($"  log.format = {(s.JsonLogs ? "json" : "text")}");
        b.AppendLine($"  io-threads = {(s.IoThreads is { } threads ? threads.ToString(CultureInfo.InvariantCulture) : "auto")}");
        b.Append('}');
        return b.ToString();
    }

    /// <summary>An upstream's health, slow start, retry and DNS keys, as HOCON.</summary>
    private static string UpstreamPolicy(UpstreamSettings u) =>
        FormattableString.Invariant($"eject-for = {u.EjectFor.TotalMilliseconds:0}ms, eject-after-5xx = {u.EjectAfter5xx}, slow-start = {u.SlowStart.TotalMilliseconds:0}ms, ")
        + FormattableString.Invariant($"retries = {u.Retries}, retry-buffer = {u.RetryBuffer}B, retry-budget = \"{u.RetryBudget * 100:0.##}%\", dns-refresh = {u.DnsRefresh.TotalMilliseconds:0}ms")
        + (u.HealthCheck is not { } h ? "" : FormattableString.Invariant(
            $", health-check {{ path = \"{h.Path}\", interval = {h.Interval.TotalMilliseconds:0}ms, timeout = {h.Timeout.TotalMilliseconds:0}ms, unhealthy-after = {h.UnhealthyAfter}, healthy-after = {h.HealthyAfter}, expect = \"{h.Expect}\" }}"));

    /// <summary>The limits a listener may set for itself, as HOCON.</summary>
    private static string ListenerLimits(LimitSettings l) => string.Create(CultureInfo.InvariantCulture,
        $"max-connections = {l.MaxConnections}, max-body-bytes = {l.MaxBodyBytes}B, min-body-bytes-per-second = {l.MinBodyBytesPerSecond}, min-body-rate-grace = {l.MinBodyRateGrace.TotalMilliseconds:0}ms");

    private static object LimitsJson(LimitSettings l) => new
    {
        maxConnections = l.MaxConnections,
        maxRequestLineBytes = l.MaxRequestLineBytes,
        maxHeaderBytes = l.MaxHeaderBytes,
        maxBodyBytes = l.MaxBodyBytes,
        headerTimeoutSeconds = l.HeaderTimeout.TotalSeconds,
        minBodyBytesPerSecond = l.MinBodyBytesPerSecond,
        minBodyRateGraceSeconds = l.MinBodyRateGrace.TotalSeconds,
    };

    public static object Json(GatewaySettings s) => new
    {
        source = s.Source,
        listeners = s.Listeners.Select(l => new
        {
            l.Name,
            address = l.Address.ToString(),
            protocol = l.Protocol.ToString().ToLowerInvariant(),
            idleTimeoutSeconds = l.IdleTimeout?.TotalSeconds,
            limits = l.Protocol == ListenerProtocol.Http ? LimitsJson(l.Limits) : null,
            tls = l.Tls is not { } t ? null : new
            {
                certificate = t.Default.Certificate,
                key = t.Default.PrivateKey,
                minVersion = t.Protocols.HasFlag(System.Security.Authentication.SslProtocols.Tls12) ? "1.2" : "1.3",
                unknownSni = t.UnknownSni.ToString().ToLowerInvariant(),
                sni = t.Sni.ToDictionary(p => p.Key, p => new { certificate = p.Value.Certificate, key = p.Value.PrivateKey }),
            },
        }),
        routes = s.Routes.Select(r => new { r.Name, r.Listener, pathPrefix = r.PathPrefix, r.Host, r.Upstream, directResponse = r.DirectResponse, redirectHttps = r.RedirectHttps }),
        upstreams = s.Upstreams.Select(u => new
        {
            u.Name,
            endpoints = u.Endpoints.Select(e => e.ToString()),
            connectTimeoutSeconds = u.ConnectTimeout.TotalSeconds,
            responseTimeoutSeconds = u.ResponseTimeout.TotalSeconds,
            ejectForSeconds = u.EjectFor.TotalSeconds,
            ejectAfter5xx = u.EjectAfter5xx,
            slowStartSeconds = u.SlowStart.TotalSeconds,
            retries = u.Retries,
            retryBuffer = u.RetryBuffer,
            retryBudget = u.RetryBudget,
            dnsRefreshSeconds = u.DnsRefresh.TotalSeconds,
            healthCheck = u.HealthCheck,
            tls = u.Tls is not { } t ? null : new
            {
                ca = t.CaFile,
                clientCertificate = t.ClientCertificate?.Certificate,
                clientKey = t.ClientCertificate?.PrivateKey,
                verify = t.Verify,
            },
        }),
        admin = new { address = s.Admin.Address.ToString(), token = s.Admin.Token is null ? null : "***" },
        limits = LimitsJson(s.Limits),
        drain = new { announceSeconds = s.Drain.Announce.TotalSeconds, deadlineSeconds = s.Drain.Deadline.TotalSeconds },
        hotRestart = new { socket = s.HotRestart.SocketPath },
        log = new { format = s.JsonLogs ? "json" : "text" },
    };
}
