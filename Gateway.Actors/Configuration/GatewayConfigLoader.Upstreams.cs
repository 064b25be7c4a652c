using Akka.Configuration.Hocon;

namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    private sealed partial class Reader
    {
        private UpstreamSettings ReadUpstream(string name)
        {
            var key = $"gateway.upstreams.{name}";
            var value = config.GetValue($"{key}.endpoints");
            if (value is null || value.IsEmpty)
                throw Error($"{key}.endpoints", "missing: list at least one endpoint, e.g. [\"127.0.0.1:9001\"]");
            if (value.IsString() || value.IsObject())
                throw Error($"{key}.endpoints", "must be a list, e.g. [\"127.0.0.1:9001\"]");
            var endpoints = value.GetArray().Select(v => Endpoint($"{key}.endpoints", v)).ToList();
            _endpointTexts[name] = value.GetArray().Select(v => v.GetString()).ToList();
            if (endpoints.Count == 0)
                throw Error($"{key}.endpoints", "is empty: list at least one endpoint");
            var connect = Duration($"{key}.connect-timeout");
            var response = Duration($"{key}.response-timeout");
            if (connect <= TimeSpan.Zero) throw Error($"{key}.connect-timeout", "must be greater than 0s");
            if (response <= TimeSpan.Zero) throw Error($"{key}.response-timeout", "must be greater than 0s");
            var tls = config.HasPath($"{key}.tls") ? ReadUpstreamTls($"{key}.tls") : null;
            if (tls is not null && endpoints.All(e => e.Scheme != Uri.UriSchemeHttps))
                throw Error($"{key}.tls", "no endpoint is https://: TLS settings would not be used");
            var ejectFor = Duration($"{key}.eject-for");
            return ReadUpstreamPolicy(key, new UpstreamSettings(name, endpoints, connect, response) { Tls = tls, EjectFor = ejectFor });
        }

        private Uri Endpoint(string key, HoconValue value)
        {
            var text = value.IsString() ? value.GetString() : null;
            if (string.IsNullOrWhiteSpace(text))
                throw Error(key, "an endpoint must be a string such as \"127.0.0.1:9001\" or \"http://host:port\"");
            var hasScheme = text.Contains("://", StringComparison.Ordinal);
            // Without a scheme the port must be written: "host:port" or "[ipv6]:port".
            var portWritten = hasScheme || System.Text.RegularExpressions.Regex.IsMatch(text, @"^(\[[0-9a-fA-F:.]+\]|[^:/\[\]]+):\d{1,5}$");
            if (!portWritten || !Uri.TryCreate(hasScheme ? text : "http://" + text, UriKind.Absolute, out var uri)
                || uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Upstreams.UpstreamProtocols.H2cScheme)
                throw Error(key, $"\"{text}\" is not an endpoint: write host:port, http://host:port, h2c://host:port (HTTP/2 without TLS) or https://host:port");
            if (EndpointRules.Problem(text, uri) is { } problem)
                throw Error(key, problem);
            return new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");
        }

        /// <summary>An upstream's health, slow start, retry and DNS keys over <paramref name="upstream"/>.</summary>
        private UpstreamSettings ReadUpstreamPolicy(string key, UpstreamSettings upstream)
        {
            var retries = Int($"{key}.retries");
            if (retries is < 0 or > 5)
                throw Error($"{key}.retries", $"{retries} is not a number of retries from 0 (off) to 5");
            var buffer = Bytes($"{key}.retry-buffer");
            if (buffer is < 0 or > 16 * 1024 * 1024)
                throw Error($"{key}.retry-buffer", $"{buffer} bytes is not a buffer from 0 to 16MiB (default {Shipped.Text(key + ".retry-buffer")})");
            var ejectAfter5xx = Int($"{key}.eject-after-5xx");
            if (ejectAfter5xx < 0)
                throw Error($"{key}.eject-after-5xx", "must be 0 (5xx answers never eject) or more");
            return upstream with
            {
                EjectAfter5xx = ejectAfter5xx,
                HealthCheck = config.HasPath($"{key}.health-check") ? ReadHealthCheck($"{key}.health-check", upstream.Endpoints) : null,
                SlowStart = Duration($"{key}.slow-start"),
                Retries = retries,
                RetryBuffer = (int)buffer,
                RetryBudget = Share($"{key}.retry-budget"),
                DnsRefresh = Duration($"{key}.dns-refresh"),
            };
        }

        private HealthCheckSettings ReadHealthCheck(string key, IReadOnlyList<Uri> endpoints)
        {
            var protocol = StringOrDefault($"{key}.protocol")!;
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
            var interval = Duration($"{key}.interval");
            var timeout = Duration($"{key}.timeout");
            if (interval < TimeSpan.FromMilliseconds(50))
                throw Error($"{key}.interval", "must be at least 50ms");
            if (timeout <= TimeSpan.Zero)
                throw Error($"{key}.timeout", "must be greater than 0s");
            var unhealthy = Int($"{key}.unhealthy-after");
            var healthy = Int($"{key}.healthy-after");
            if (unhealthy < 1) throw Error($"{key}.unhealthy-after", "must be at least 1 (failed checks in a row)");
            if (healthy < 1) throw Error($"{key}.healthy-after", "must be at least 1 (passed checks in a row)");
            var expect = StringOrDefault($"{key}.expect")!;
            if (StatusRanges.Parse(expect) is null)
                throw Error($"{key}.expect", $"\"{expect}\" is not a list of statuses: write e.g. \"200-399\" or \"200, 204\"");
            return new HealthCheckSettings(path, interval, timeout, unhealthy, healthy, expect,
                grpc ? HealthCheckProtocol.Grpc : HealthCheckProtocol.Http, StringOrDefault($"{key}.service")!);
        }
    }
}
