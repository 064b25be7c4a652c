namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    private sealed partial class Reader
    {
        /// <summary>Endpoints as written, per upstream: a tcp route refuses the ones written as http://….</summary>
        private readonly Dictionary<string, List<string>> _endpointTexts = [];

        private RouteSettings ReadRoute(string name, List<string> listeners, List<string> upstreams)
        {
            var key = $"gateway.routes.{name}";
            var listener = String($"{key}.listener")
                ?? throw Error($"{key}.listener", "missing: name the listener this route serves");
            if (!listeners.Contains(listener))
                throw Error($"{key}.listener", $"unknown listener \"{listener}\" (known: {string.Join(", ", listeners)})");

            var prefix = StringOrDefault($"{key}.path-prefix")!;
            if (RouteRules.PrefixProblem(prefix) is { } never)
                throw Error($"{key}.path-prefix", never);
            var host = String($"{key}.host");
            if (host is not null && RouteRules.HostProblem(host) is { } unmatched)
                throw Error($"{key}.host", unmatched);

            var upstream = String($"{key}.upstream");
            var direct = config.HasPath($"{key}.direct-response") ? ReadDirect($"{key}.direct-response") : null;
            var redirect = Bool($"{key}.redirect-https")
                ? new RedirectHttpsSettings(config.HasPath($"{key}.redirect-https-port") ? Port($"{key}.redirect-https-port") : null)
                : null;
            if (redirect is null && config.HasPath($"{key}.redirect-https-port"))
                throw Error($"{key}.redirect-https-port", "only used with redirect-https = on");
            if ((upstream is null ? 0 : 1) + (direct is null ? 0 : 1) + (redirect is null ? 0 : 1) != 1)
                throw Error(key, "a route needs exactly one of `upstream`, `direct-response` or `redirect-https = on`");
            if (upstream is not null && !upstreams.Contains(upstream))
                throw Error($"{key}.upstream", UnknownUpstream(upstream, upstreams));
            return new RouteSettings(name, listener, prefix, host, upstream, direct)
            {
                RedirectHttps = redirect, Streams = ReadStreams($"{key}.streams"), Forwarding = ReadForwarding(key),
            };
        }

        private static string UnknownUpstream(string upstream, List<string> upstreams) => upstreams.Count == 0
            ? $"unknown upstream \"{upstream}\" (no upstream is configured)"
            : $"unknown upstream \"{upstream}\" (known: {string.Join(", ", upstreams)})";

        internal ForwardingSettings ReadForwarding(string route)
        {
            var mode = StringOrDefault($"{route}.forwarded-headers") switch
            {
                "replace" => ForwardedHeadersMode.Replace,
                "append" => ForwardedHeadersMode.Append,
                "off" => ForwardedHeadersMode.Off,
                var other => throw Error($"{route}.forwarded-headers", $"\"{other}\" is not a mode: write replace, append or off"),
            };
            var key = $"{route}.trusted-proxies";
            var value = Value(key);
            List<string> trusted = [];
            if (value is not null && !value.IsEmpty)
            {
                if (parsed.User.HasPath(key) && mode != ForwardedHeadersMode.Append)
                    throw Error(key, "only used with forwarded-headers = append (the peers whose forwarding headers are kept)");
                if (value.IsString() || value.IsObject())
                    throw Error(key, "must be a list of CIDR ranges, e.g. [\"10.0.0.0/8\"]");
                foreach (var range in value.GetArray().Select(v => v.IsString() ? v.GetString() : null))
                    trusted.Add(range is not null && Routing.TrustedProxies.TryParseRange(range, out _)
                        ? range
                        : throw Error(key, $"\"{range}\" is not an address range: write e.g. \"10.0.0.0/8\", \"192.168.1.7\" or \"fd00::/8\""));
            }
            return new ForwardingSettings(mode, trusted, Bool($"{route}.preserve-host"));
        }

        internal StreamSettings ReadStreams(string key)
        {
            var policy = StringOrDefault($"{key}.on-drain") switch
            {
                "keep-until-deadline" => StreamDrainPolicy.KeepUntilDeadline,
                "graceful-close" => StreamDrainPolicy.GracefulClose,
                var other => throw Error($"{key}.on-drain", $"\"{other}\" is not a policy: write keep-until-deadline or graceful-close"),
            };
            return new StreamSettings(policy, Duration($"{key}.grace"), Duration($"{key}.sse-retry"));
        }

        private DirectResponseSettings ReadDirect(string key)
        {
            var status = Int($"{key}.status");
            if (status is < 200 or > 599)
                throw Error($"{key}.status", $"{status} is not a final HTTP status (200–599)");
            return new DirectResponseSettings(status, String($"{key}.body") ?? "");
        }

        /// <summary>A route on a tcp listener relays bytes: no path or host to match, no answer of its own, one upstream.</summary>
        private RouteSettings ReadTcpRoute(string name, List<string> upstreams)
        {
            var key = $"gateway.routes.{name}";
            var listener = String($"{key}.listener")!;
            foreach (var match in new[] { "path-prefix", "host" })
                if (config.HasPath($"{key}.{match}"))
                    throw Error($"{key}.{match}", $"listener {listener} is a tcp listener: its route relays bytes and has no `{match}`");
            if (config.HasPath($"{key}.direct-response"))
                throw Error($"{key}.direct-response", $"listener {listener} is a tcp listener: its route must name an `upstream`, not answer itself");
            if (config.HasPath($"{key}.redirect-https"))
                throw Error($"{key}.redirect-https", $"listener {listener} is a tcp listener: its route must name an `upstream`, not answer itself");
            var upstream = String($"{key}.upstream")
                ?? throw Error($"{key}.upstream", $"missing: a route on tcp listener {listener} names the upstream its bytes go to");
            if (!upstreams.Contains(upstream))
                throw Error($"{key}.upstream", UnknownUpstream(upstream, upstreams));
            if (_endpointTexts.TryGetValue(upstream, out var texts) && texts.FirstOrDefault(t => t.Contains("://", StringComparison.Ordinal)) is { } http)
                throw Error($"gateway.upstreams.{upstream}.endpoints",
                    $"\"{http}\" is an HTTP endpoint, but upstream {upstream} serves tcp route {name}: write host:port");
            return new RouteSettings(name, listener, StringOrDefault($"{key}.path-prefix")!, null, upstream, null);
        }

        /// <summary>Each tcp listener has exactly one route: bytes carry nothing to choose between two.</summary>
        private void CheckTcpRoutes(HashSet<string> tcpListeners, List<RouteSettings> routes)
        {
            foreach (var listener in tcpListeners.Order())
            {
                var served = routes.Where(r => r.Listener == listener).Select(r => r.Name).ToList();
                if (served.Count == 0)
                    throw Error($"gateway.listeners.{listener}", $"tcp listener {listener} has no route: add e.g. routes.{listener} {{ listener = {listener}, upstream = … }}");
                if (served.Count > 1)
                    throw Error($"gateway.routes.{served[1]}.listener", $"tcp listener {listener} already has route {served[0]}; a tcp listener takes exactly one route");
            }
        }
    }
}
