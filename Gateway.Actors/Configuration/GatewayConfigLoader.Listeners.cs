namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    private sealed partial class Reader
    {
        private ListenerSettings ReadListener(string name, LimitSettings limits)
        {
            var key = $"gateway.listeners.{name}";
            var address = Address($"{key}.address");
            var protocol = StringOrDefault($"{key}.protocol");
            if (protocol is not ("http" or "tcp"))
                throw Error($"{key}.protocol", $"\"{protocol}\" is not a listener protocol: write http or tcp");
            TimeSpan? idle = config.HasPath($"{key}.idle-timeout") ? Duration($"{key}.idle-timeout") : null;
            if (idle is not null && protocol != "tcp")
                throw Error($"{key}.idle-timeout", "only a tcp listener has an idle timeout (HTTP connections close after their response)");
            if (idle <= TimeSpan.Zero)
                throw Error($"{key}.idle-timeout", "must be greater than 0s (leave it out for no idle timeout)");
            return new ListenerSettings(name, address)
            {
                Protocol = protocol == "tcp" ? ListenerProtocol.Tcp : ListenerProtocol.Http,
                IdleTimeout = idle,
                Limits = !config.HasPath($"{key}.limits") ? limits
                    : protocol == "tcp"
                        ? throw Error($"{key}.limits", $"listener {name} is a tcp listener: limits apply to http listeners (a tcp connection carries no request)")
                        : ReadLimits($"{key}.limits", limits, LimitSettings.PerListenerKeys),
                Tls = config.HasPath($"{key}.tls")
                    ? protocol == "tcp"
                        ? throw Error($"{key}.tls", $"listener {name} is a tcp listener: it relays bytes as they come and does not terminate TLS")
                        : ReadListenerTls($"{key}.tls")
                    : null,
            };
        }

        /// <summary>
        /// Reads a <c>limits { … }</c> block: <c>gateway.limits</c> (<paramref name="inherited"/> null), or a listener's,
        /// whose keys left out are the gateway's. A listener's block may hold only the keys applied per connection or
        /// request; the others configure the one Kestrel server every listener shares.
        /// </summary>
        internal LimitSettings ReadLimits(string key, LimitSettings? inherited, IReadOnlyList<string> allowed)
        {
            if (config.GetValue(key) is { } block && block.IsObject())
                foreach (var name in block.GetObject().Items.Keys)
                    if (!allowed.Contains(name))
                        throw Error($"{key}.{name}", $"applies to every listener (one Kestrel server serves them all): set gateway.limits.{name}");
            T Read<T>(string name, Func<string, T> read, Func<LimitSettings, T> own) =>
                inherited is not null && !config.HasPath($"{key}.{name}") ? own(inherited) : read($"{key}.{name}");
            int Positive(string name, long value, long max)
            {
                if (value < 1) throw Error($"{key}.{name}", "must be greater than 0");
                if (value > max) throw Error($"{key}.{name}", $"{value} is more than {max}");
                return (int)Math.Min(value, int.MaxValue);
            }
            var connections = Positive("max-connections", Read("max-connections", Int, l => l.MaxConnections), 1_000_000);
            var line = Positive("max-request-line-bytes", Read("max-request-line-bytes", Bytes, l => l.MaxRequestLineBytes), int.MaxValue);
            var headers = Positive("max-header-bytes", Read("max-header-bytes", Bytes, l => l.MaxHeaderBytes), int.MaxValue);
            var body = Read("max-body-bytes", Bytes, l => l.MaxBodyBytes);
            if (body < 1) throw Error($"{key}.max-body-bytes", "must be greater than 0");
            var headerTimeout = Read("header-timeout", Duration, l => l.HeaderTimeout);
            if (headerTimeout <= TimeSpan.Zero) throw Error($"{key}.header-timeout", "must be greater than 0s");
            var rate = Read("min-body-bytes-per-second", Rate, l => l.MinBodyBytesPerSecond);
            var grace = Read("min-body-rate-grace", Duration, l => l.MinBodyRateGrace);
            // Kestrel measures the rate once a second: a grace of one second or less would cut a body before its first tick.
            if (rate > 0 && grace <= TimeSpan.FromSeconds(1))
                throw Error(Blame($"{key}.min-body-rate-grace", $"{key}.min-body-bytes-per-second"), "the grace must be longer than 1s while a minimum rate is set");
            return new LimitSettings(connections, line, headers, body, headerTimeout, rate, grace);
        }

        /// <summary>Bytes per second, 0 for no minimum.</summary>
        private double Rate(string key)
        {
            var text = String(key);
            if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var rate) || rate < 0 || !double.IsFinite(rate))
                throw Error(key, $"\"{text}\" is not a rate: write bytes per second, e.g. 240 (0: no minimum)");
            return rate;
        }
    }
}
