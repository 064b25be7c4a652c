using System.Globalization;

namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    private sealed partial class Reader
    {
        /// <summary>An upstream's health, slow start, retry and DNS keys over <paramref name="upstream"/>.</summary>
        private UpstreamSettings ReadUpstreamPolicy(string key, UpstreamSettings upstream)
        {
            var retries = Int($"{key}.retries", upstream.Retries);
            if (retries is < 0 or > 5)
                throw Error($"{key}.retries", $"{retries} is not a number of retries from 0 (off) to 5");
            var buffer = Bytes($"{key}.retry-buffer", upstream.RetryBuffer);
            if (buffer is < 0 or > 16 * 1024 * 1024)
                throw Error($"{key}.retry-buffer", $"{buffer} bytes is not a buffer from 0 to 16MiB (default 64KiB)");
            var ejectAfter5xx = Int($"{key}.eject-after-5xx", upstream.EjectAfter5xx);
            if (ejectAfter5xx < 0)
                throw Error($"{key}.eject-after-5xx", "must be 0 (5xx answers never eject) or more");
            return upstream with
            {
                EjectAfter5xx = ejectAfter5xx,
                HealthCheck = config.HasPath($"{key}.health-check") ? ReadHealthCheck($"{key}.health-check", upstream.Endpoints) : null,
                SlowStart = Duration($"{key}.slow-start", upstream.SlowStart),
                Retries = retries,
                RetryBuffer = (int)buffer,
                RetryBudget = Share($"{key}.retry-budget", upstream.RetryBudget),
                DnsRefresh = Duration($"{key}.dns-refresh", upstream.DnsRefresh),
            };
        }

        private HealthCheckSettings ReadHealthCheck(string key, IReadOnlyList<Uri> endpoints)
        {
            var protocol = String($"{key}.protocol") ?? "http";
            if (protocol is not ("http" or "grpc"))
                throw Error($"{key}.protocol", $"\"{protocol}\" is not a way to check: write http (GET path) or grpc (grpc.health.v1.Health/Check, h2c:// endpoints)");
            var grpc = protocol == "grpc";
            var path = grpc ? HealthCheckSettings.GrpcHealthPath : String($"{key}.path") ?? throw Error($"{key}.path", "missing: the path each endpoint answers its readiness on, e.g. \"/ready\" (or protocol = grpc)");
            if (grpc)
            {
                if (config.HasPath($"{key}.path"))
                    throw Error($"{key}.path", "a gRPC check calls grpc.health.v1.Health/Check: leave path out (service = \"name\" asks about one service)");
                if (config.HasPath($"{key}.expect"))
                    throw Error($"{key}.expect", "a gRPC check passes on SERVING: leave expect out");
                if (endpoints.FirstOrDefault(e => e.Scheme != Upstreams.UpstreamProtocols.H2cScheme) is { } http1)
                    throw Error($"{key}.protocol", $"grpc checks need HTTP/2 endpoints: write {http1.Host}:{http1.Port} as h2c://{http1.Host}:{http1.Port}");
            }
            else if (config.HasPath($"{key}.service"))
                throw Error($"{key}.service", "only a gRPC check asks about a service: add protocol = grpc");
            if (!path.StartsWith('/'))
                throw Error($"{key}.path", $"\"{path}\" must start with /");
            var interval = Duration($"{key}.interval", HealthCheckSettings.DefaultInterval);
            var timeout = Duration($"{key}.timeout", HealthCheckSettings.DefaultTimeout);
            if (interval < TimeSpan.FromMilliseconds(50))
                throw Error($"{key}.interval", "must be at least 50ms");
            if (timeout <= TimeSpan.Zero)
                throw Error($"{key}.timeout", "must be greater than 0s");
            var unhealthy = Int($"{key}.unhealthy-after", HealthCheckSettings.DefaultUnhealthyAfter);
            var healthy = Int($"{key}.healthy-after", HealthCheckSettings.DefaultHealthyAfter);
            if (unhealthy < 1) throw Error($"{key}.unhealthy-after", "must be at least 1 (failed checks in a row)");
            if (healthy < 1) throw Error($"{key}.healthy-after", "must be at least 1 (passed checks in a row)");
            var expect = String($"{key}.expect") ?? HealthCheckSettings.DefaultExpect;
            if (StatusRanges.Parse(expect) is null)
                throw Error($"{key}.expect", $"\"{expect}\" is not a list of statuses: write e.g. \"200-399\" or \"200, 204\"");
            return new HealthCheckSettings(path, interval, timeout, unhealthy, healthy, expect,
                grpc ? HealthCheckProtocol.Grpc : HealthCheckProtocol.Http, String($"{key}.service") ?? "");
        }

        /// <summary>A share written <c>20%</c> or <c>0.2</c>, from 0 to 1.</summary>
        private double Share(string key, double fallback)
        {
            if (!config.HasPath(key)) return fallback;
            var text = String(key)?.Trim() ?? "";
            var percent = text.EndsWith('%');
            if (!double.TryParse(percent ? text[..^1] : text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                throw Error(key, $"\"{text}\" is not a share: write e.g. 20% or 0.2");
            if (percent) value /= 100;
            return value is >= 0 and <= 1 ? value : throw Error(key, $"\"{text}\" is not a share from 0% to 100%");
        }
    }
}
