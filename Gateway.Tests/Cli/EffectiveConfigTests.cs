using System.Collections;
using System.Net;
using System.Reflection;
using Gateway.Configuration;
using Gateway.Host.Cli;
using Xunit;

namespace Gateway.Tests.Cli;

/// <summary>
/// What `config` and GET /config print is rendered from the settings: every key, in the units a person writes, the
/// secrets masked, and read again by the loader it gives the same settings.
/// </summary>
public sealed class EffectiveConfigTests : IDisposable
{
    private const string Token = "an-admin-token-of-24-chars";

    /// <summary>Every key of <see cref="ConfigSchema"/> set, each to a value other than its default (certificates are not read).</summary>
    private const string EveryKey = """
        gateway {
          listeners.edge {
            address = "127.0.0.1:18443"
            limits { max-connections = 500, max-body-bytes = 2MiB, min-body-bytes-per-second = 100, min-body-rate-grace = 3s }
            tls {
              certificate = "/etc/gateway/edge.pem", key = "/etc/gateway/edge.key", min-version = "1.3", unknown-sni = refuse
              sni { "api.example.test" { certificate = "/etc/gateway/api.pem", key = "/etc/gateway/api.key" } }
            }
          }
          listeners.db { address = "127.0.0.1:16432", protocol = tcp, idle-timeout = 45s }
          upstreams.backend {
            endpoints = ["https://backend.example.test:9443", "h2c://127.0.0.1:9002"]
            connect-timeout = 2s, response-timeout = 1m, eject-for = 20s, eject-after-5xx = 3
            health-check { path = "/ready", interval = 2s, timeout = 500ms, unhealthy-after = 2, healthy-after = 3, expect = "200, 204" }
            slow-start = 0s, retries = 2, retry-buffer = 1MiB, retry-budget = 10%, dns-refresh = 30s
            tls { ca = "/etc/gateway/ca.pem", client-certificate = "/etc/gateway/client.pem", client-key = "/etc/gateway/client.key", verify = off }
          }
          upstreams.pg { endpoints = ["127.0.0.1:5432"] }
          upstreams.orders {
            endpoints = ["h2c://127.0.0.1:9003"]
            health-check { protocol = grpc, service = "orders.v1.Orders", interval = 3s }
          }
          routes.v1 {
            listener = edge, path-prefix = "/v1", host = "api.example.test", upstream = backend
            streams { on-drain = graceful-close, grace = 2s, sse-retry = 3s }
            forwarded-headers = append, trusted-proxies = ["10.0.0.0/8", "fd00::/8"], preserve-host = on
          }
          routes.hello { listener = edge, path-prefix = "/hello", direct-response { status = 203, body = "hi \"there\"" } }
          routes.secure { listener = edge, path-prefix = "/s", redirect-https = on, redirect-https-port = 8443 }
          routes.db { listener = db, upstream = pg }
          admin { address = "127.0.0.1:15999", token = "an-admin-token-of-24-chars" }
          limits {
            max-connections = 2000, max-request-line-bytes = 4KiB, max-header-bytes = 16KiB, max-body-bytes = 1MiB
            header-timeout = 10s, min-body-bytes-per-second = 120, min-body-rate-grace = 4s
          }
          drain { announce = 2s, deadline = 40s, idle-quiet = 500ms, close-spread = 1s, goaway-ack-timeout = 3s }
          hot-restart.socket = "/tmp/gateway-every-key.sock"
          log.format = json
          io-threads = 3
          via-name = "edge-1"
          access-log { path = "stdout", buffer = 500 }
          cluster {
            enabled = on, hostname = "127.0.0.2", port = 14053, seed-nodes = ["127.0.0.2:14053", "[::1]:14054"]
            max-draining = 2, queue-reserve = 5s, down-unreachable-after = 7s
          }
        }
        """;

    private const string Minimal = """
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          upstreams.api { endpoints = ["127.0.0.1:9001"] }
          routes.api { listener = public, upstream = api }
        }
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("effective-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("hocon")]
    [InlineData("json")]
    public void A_config_with_every_key_set_reads_back_to_the_same_settings(string format)
    {
        var settings = Load(EveryKey);

        var again = Load(Print(settings, format).Replace($"\"{EffectiveConfig.Masked}\"", $"\"{Token}\""));

        Assert.Equal(Leaves(settings), Leaves(again));
    }

    [Theory]
    [InlineData("hocon")]
    [InlineData("json")]
    public void A_config_of_defaults_reads_back_to_the_same_settings(string format)
    {
        var settings = Load(Minimal);
        var embedded = GatewayConfigLoader.Load(null, readCertificates: false);

        Assert.Equal(Leaves(settings), Leaves(Load(Print(settings, format))));
        Assert.Equal(Leaves(embedded), Leaves(Load(Print(embedded, format))));
    }

    [Fact]
    public void The_config_with_every_key_sets_every_setting_to_a_value_other_than_its_default()
    {
        // So that a setting added to the records but not to the printed config fails the round trip above.
        var defaults = Leaves(Load(Minimal));
        var every = Leaves(Load(EveryKey));

        foreach (var (path, value) in defaults)
            Assert.True(value is null
                    ? every.Any(l => (l.Path == path || l.Path.StartsWith(path + ".", StringComparison.Ordinal)) && l.Value is not null)
                    : every.Any(l => l.Path == path && !Equals(l.Value, value)),
                $"{path}: the config with every key leaves it at {value ?? "null"}; set it to another value");
    }

    [Fact]
    public void Every_key_of_the_schema_is_written_in_the_config_with_every_key_and_printed()
    {
        // A listener's limits block knows every limit only to say which ones are the whole server's.
        var serverWide = LimitSettings.Keys.Except(LimitSettings.PerListenerKeys).Select(k => $"gateway.listeners.<name>.limits.{k}");
        var schema = SchemaKeys(ConfigSchema.Gateway, "gateway").Except(serverWide).ToHashSet();
        var printed = PrintedKeys(EffectiveConfig.Json(Load(EveryKey))).ToHashSet();

        Assert.Empty(schema.Except(printed));
        Assert.Empty(printed.Except(schema));
    }

    [Fact]
    public void Durations_and_sizes_are_printed_in_the_units_a_person_writes()
    {
        var printed = EffectiveConfig.Hocon(Load(Minimal));

        Assert.Contains("drain { announce = 0s, deadline = 30s, idle-quiet = 250ms, close-spread = 0s, goaway-ack-timeout = 1s }", printed);
        foreach (var written in new[] { "max-request-line-bytes = 8KiB", "max-header-bytes = 32KiB", "max-body-bytes = 30MiB", "header-timeout = 30s",
                     "min-body-rate-grace = 5s", "connect-timeout = 5s", "retry-buffer = 64KiB", "retry-budget = 20%", "dns-refresh = 5s" })
            Assert.Contains(written, printed);
        Assert.Contains("streams { on-drain = keep-until-deadline, grace = 0s, sse-retry = 1s }", printed);
        Assert.Contains("cluster { enabled = off }", printed);
        Assert.DoesNotContain("000ms", printed);
    }

    [Fact]
    public void The_admin_token_and_endpoint_credentials_are_masked()
    {
        var read = Load(Minimal);
        var upstream = read.Upstreams.Single() with { Endpoints = [new Uri("http://operator:hunter2-password@127.0.0.1:9001/")] };
        var settings = read with { Upstreams = [upstream], Admin = read.Admin with { Token = Token } };

        foreach (var printed in new[] { EffectiveConfig.Hocon(settings), EffectiveConfig.Json(settings).ToJsonString() })
        {
            Assert.Contains("http://***@127.0.0.1:9001", printed);
            Assert.DoesNotContain("hunter2", printed);
            Assert.DoesNotContain("operator", printed);
            Assert.DoesNotContain(Token, printed);
        }
    }

    private GatewaySettings Load(string hocon)
    {
        var path = Path.Combine(_folder, $"{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, hocon);
        return GatewayConfigLoader.Load(path, readCertificates: false);
    }

    private static string Print(GatewaySettings settings, string format) =>
        format == "json" ? EffectiveConfig.Json(settings).ToJsonString() : EffectiveConfig.Hocon(settings);

    private static IEnumerable<string> SchemaKeys(ConfigSchema.Node node, string path) => node.Named is { } named
        ? SchemaKeys(named, path + ".<name>")
        : node.Keys.SelectMany(k => k.Value is null ? [$"{path}.{k.Key}"] : SchemaKeys(k.Value, $"{path}.{k.Key}"));

    private static readonly HashSet<string> NamedSections = ["gateway.listeners", "gateway.routes", "gateway.upstreams", "gateway.listeners.<name>.tls.sni"];

    private static IEnumerable<string> PrintedKeys(System.Text.Json.Nodes.JsonNode node, string path = "") =>
        node is System.Text.Json.Nodes.JsonObject o
            ? o.SelectMany(p => PrintedKeys(p.Value!, NamedSections.Contains(path) ? path + ".<name>" : path.Length == 0 ? p.Key : $"{path}.{p.Key}"))
            : [path];

    /// <summary>
    /// The settings as (path, value) leaves, read by reflection so that a setting added later is compared too; a list's
    /// items share one path (<c>Upstreams[].Retries</c>), an empty one is a leaf of its own.
    /// </summary>
    private static List<(string Path, object? Value)> Leaves(GatewaySettings settings) =>
        [.. Leaves(settings, "", skip: ["Hocon", "Source", "Notes"])];

    private static IEnumerable<(string Path, object? Value)> Leaves(object? value, string path, string[]? skip = null)
    {
        switch (value)
        {
            case null or string or Enum or TimeSpan or Uri or EndPoint or IPAddress:
            case var _ when value.GetType().IsPrimitive:
                yield return (path, value);
                yield break;
            case IEnumerable items:
                var any = false;
                foreach (var item in items)
                {
                    any = true;
                    foreach (var leaf in Leaves(item, path + "[]")) yield return leaf;
                }
                if (!any) yield return (path + "[]", "(empty)");
                yield break;
        }
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (property.GetIndexParameters().Length == 0 && skip?.Contains(property.Name) != true)
                foreach (var leaf in Leaves(property.GetValue(value), path.Length == 0 ? property.Name : $"{path}.{property.Name}"))
                    yield return leaf;
    }
}
