using System.Net;
using System.Text;
using Akka.Configuration;
using Akka.Configuration.Hocon;
using System.Security.Authentication;
using Gateway.Tls;

namespace Gateway.Configuration;

/// <summary>
/// Reads the gateway's HOCON: a user's file (or the embedded <c>gateway.conf</c>) layered over the embedded
/// <c>reference.conf</c>, then validated so that a bad file never starts a half-working gateway.
/// </summary>
public static partial class GatewayConfigLoader
{
    /// <summary>The name errors give for the embedded default configuration.</summary>
    public const string EmbeddedDefaultName = "embedded hocon/gateway.conf";

    private static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DefaultResponseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Loads <paramref name="path"/>, or the embedded default when it is null.</summary>
    /// <param name="readCertificates">
    /// False for an operator command that only needs the admin address: the files the configuration names
    /// (certificates and keys, often readable by the gateway's user alone; the access log's and the control socket's
    /// folders) are named but not looked at, and no actor system is tried.
    /// </param>
    /// <remarks>
    /// This is what <c>check</c>, <c>run</c> and every reload run: everything the gateway checks before it binds a
    /// socket, on a thread of its own within <see cref="ConfigGuard.Limit"/>.
    /// </remarks>
    /// <exception cref="GatewayConfigException">The file is missing, unreadable, or invalid.</exception>
    public static GatewaySettings Load(string? path, bool readCertificates = true) =>
        ConfigGuard.Run(() => LoadNow(path, readCertificates), path ?? EmbeddedDefaultName);

    /// <inheritdoc cref="Load"/>
    public static Task<GatewaySettings> LoadAsync(string? path, bool readCertificates = true) =>
        ConfigGuard.RunAsync(() => LoadNow(path, readCertificates), path ?? EmbeddedDefaultName);

    /// <summary>Parses and validates HOCON text; <paramref name="source"/> names it in errors (and its folder holds its includes).</summary>
    public static GatewaySettings Parse(string hocon, string source) =>
        ConfigGuard.Run(() => ParseNow(hocon, source, readCertificates: true), source);

    private static GatewaySettings LoadNow(string? path, bool readCertificates)
    {
        if (path is null)
            return ParseNow(ReadEmbedded("Gateway.gateway.conf"), EmbeddedDefaultName, readCertificates);
        string full;
        try
        {
            full = Path.GetFullPath(path);
        }
        catch (ArgumentException)
        {
            throw new GatewayConfigException(path.Length == 0 ? "--config \"\"" : path, GatewayConfigException.FileKey, "is not a file name: name the configuration file");
        }
        return ParseNow(ConfigFile.Read(full), full, readCertificates);
    }

    private static GatewaySettings ParseNow(string hocon, string source, bool readCertificates)
    {
        var reference = Reference;
        var parsed = Hocon.StrictHocon.Parse(hocon, source, FolderOf(source), reference);
        return new Reader(parsed.User.WithFallback(reference), source, readCertificates, parsed).Read();
    }

    /// <summary>Where a file's relative paths start: its folder (the working folder for the embedded default).</summary>
    private static string FolderOf(string source) => source == EmbeddedDefaultName
        ? Directory.GetCurrentDirectory()
        : Path.GetDirectoryName(Path.GetFullPath(source)) ?? Directory.GetCurrentDirectory();

    /// <summary>The embedded reference configuration (every default), for hosts that build their own config.</summary>
    public static Config Reference => ConfigurationFactory.ParseString(ReadEmbedded("Gateway.reference.conf"));

    private static string ReadEmbedded(string name)
    {
        using var stream = typeof(GatewayConfigLoader).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Walks the merged config once; every problem names its full key.</summary>
    private sealed partial class Reader(Config config, string source, bool readCertificates, Hocon.ParsedHocon parsed)
    {
        /// <summary>A problem at <paramref name="key"/>, in the file and at the line where the user wrote it (or its object).</summary>
        private GatewayConfigException Error(string key, string problem) =>
            parsed.Positions.Find(key) is { } at ? new(at.File, key, problem, at.Line) : new(source, key, problem);

        /// <summary>Of keys whose relation is wrong, the one to name: the first the user wrote, never a default.</summary>
        private string Blame(params string[] keys) => parsed.Positions.Blame(keys);

        private readonly List<GatewayConfigException> _problems = [];

        /// <summary>Endpoints as written, per upstream: a tcp route refuses the ones written as http://….</summary>
        private readonly Dictionary<string, List<string>> _endpointTexts = [];

        /// <summary>Runs one independent check; a problem is kept and reading goes on, so all are reported at once.</summary>
        private T? Check<T>(Func<T> read)
        {
            try
            {
                return read();
            }
            catch (GatewayConfigException e)
            {
                _problems.Add(e);
                return default;
            }
        }

        private void Check(Action check) => Check(() => { check(); return 0; });

        public GatewaySettings Read()
        {
            foreach (var key in config.Root.GetObject().Items.Keys)
                if (key is not ("gateway" or "akka"))
                    _problems.Add(Error(key, ConfigSchema.Nearest(key, ["gateway", "akka"]) is { } nearest
                        ? $"unknown key; did you mean `{nearest}`?"
                        : "unknown key: the file holds `gateway { … }` and, optionally, `akka { … }`"));
            var root = config.GetValue("gateway");
            if (root is null || !root.IsObject())
                throw Error("gateway", "missing: the file must have a `gateway { … }` section");
            foreach (var (key, value) in root.GetObject().Items)
                Check(() => CheckKeys("gateway", new Dictionary<string, HoconValue> { [key] = value }, ConfigSchema.Gateway));

            var limits = Check(() => ReadLimits("gateway.limits", LimitSettings.Default, LimitSettings.Keys)) ?? LimitSettings.Default;
            var listenerNames = Named("gateway.listeners").ToList();
            var upstreamNames = Named("gateway.upstreams").ToList();
            var listeners = listenerNames.Select(n => Check(() => ReadListener(n, limits))).OfType<ListenerSettings>().ToList();
            var upstreams = upstreamNames.Select(n => Check(() => ReadUpstream(n))).OfType<UpstreamSettings>().ToList();
            var tcpListeners = listeners.Where(l => l.Protocol == ListenerProtocol.Tcp).Select(l => l.Name).ToHashSet();
            var routes = Named("gateway.routes").Select(n => Check(() => tcpListeners.Contains(String($"gateway.routes.{n}.listener") ?? "")
                ? ReadTcpRoute(n, upstreamNames)
                : ReadRoute(n, listenerNames, upstreamNames))).OfType<RouteSettings>().ToList();
            Check(() => CheckTcpRoutes(tcpListeners, routes));
            var admin = Check(() => new AdminSettings(Address("gateway.admin.address"), String("gateway.admin.token")));
            Check(() =>
            {
                if (admin?.Token is { Length: < 16 })
                    throw Error("gateway.admin.token", "too short: use at least 16 characters");
                if (admin is { Token: null } && !IPAddress.IsLoopback(admin.Address.Address))
                    throw Error("gateway.admin.token", $"required: the admin API listens on {admin.Address}, beyond loopback, and can drain the gateway");
            });
            var announce = Check(() => (TimeSpan?)Duration("gateway.drain.announce"));
            var deadline = Check(() => (TimeSpan?)Duration("gateway.drain.deadline"));
            var idleQuiet = Check(() => (TimeSpan?)Duration("gateway.drain.idle-quiet", TimeSpan.FromMilliseconds(250)));
            var closeSpread = Check(() => (TimeSpan?)Duration("gateway.drain.close-spread", TimeSpan.Zero));
            Check(() =>
            {
                if (listenerNames.Count == 0)
                    throw Error("gateway.listeners", "no listener is configured; add e.g. listeners.public { address = \"127.0.0.1:8080\" }");
            });
            Check(() =>
            {
                if (deadline <= TimeSpan.Zero)
                    throw Error("gateway.drain.deadline", "must be greater than 0s");
                if (announce > deadline)
                    throw Error(Blame("gateway.drain.announce", "gateway.drain.deadline"), $"announce ({announce?.TotalSeconds}s) is longer than the deadline ({deadline?.TotalSeconds}s)");
                if (closeSpread + idleQuiet >= deadline - announce)
                    throw Error(Blame("gateway.drain.close-spread", "gateway.drain.idle-quiet", "gateway.drain.deadline", "gateway.drain.announce"),
                        $"idle-quiet + close-spread ({(idleQuiet + closeSpread)?.TotalSeconds}s) must end before the deadline, {(deadline - announce)?.TotalSeconds}s after the unbind");
            });
            if (admin is not null) Check(() => CheckDistinctAddresses(listeners, admin));

            var socket = Check(() => String("gateway.hot-restart.socket"));
            Check(() =>
            {
                if (socket is not null && Encoding.UTF8.GetByteCount(Path.GetFullPath(socket)) > 107)
                    throw Error("gateway.hot-restart.socket", "the path is longer than a Unix socket path may be (107 bytes)");
                if (socket is not null && readCertificates && FolderProblem(Path.GetFullPath(socket)) is { } problem)
                    throw Error("gateway.hot-restart.socket", problem);
            });
            var format = Check(() => String("gateway.log.format")) ?? "text";
            Check(() =>
            {
                if (format is not ("text" or "json"))
                    throw Error("gateway.log.format", $"\"{format}\" is not a log format: write text or json");
            });

            var ioThreads = Check(() => String("gateway.io-threads") switch
            {
                null or "auto" => (int?)null,
                var text when int.TryParse(text, out var n) && n is >= 1 and <= 1024 => n,
                var text => throw Error("gateway.io-threads", $"\"{text}\" is not auto or a number of threads from 1 to 1024"),
            });

            var accessLog = Check(() =>
            {
                var path = String("gateway.access-log.path");
                var buffer = Int("gateway.access-log.buffer", 10_000);
                if (buffer < 1) throw Error("gateway.access-log.buffer", "must be at least 1");
                if (!string.IsNullOrEmpty(path) && path != "stdout" && readCertificates && AccessLogProblem(path) is { } problem)
                    throw Error("gateway.access-log.path", problem);
                return string.IsNullOrEmpty(path) ? null : new AccessLogSettings(path, buffer);
            });

            var cluster = Check(() => ReadCluster(deadline, listeners, admin));
            foreach (var (route, first) in RouteRules.Shadowed(routes))
                _problems.Add(Error(Blame($"gateway.routes.{route}.path-prefix", $"gateway.routes.{route}"),
                    $"never matches: route {first} has the same listener, host and path-prefix and always wins; change or remove one"));
            foreach (var (key, problem) in AkkaConfigCheck.Problems(parsed.User, config, cluster?.Enabled ?? false))
                _problems.Add(Error(key, problem));
            if (_problems.Count == 0 && readCertificates && AkkaStartProbe.Problem(config) is { } failed)
                _problems.Add(Error(AkkaStartProbe.KeyIn(failed) is { } named && parsed.Positions.Written(named) ? named : "akka", failed));
            var via = Check(() => String("gateway.via-name") switch
            {
                null => GatewaySettings.DefaultViaName,
                var name when GatewaySettings.IsToken(name) => name,
                var name => throw Error("gateway.via-name", $"\"{name}\" cannot be a Via name: use letters, digits and - . _ ~ only"),
            });

            if (_problems.Count > 0)
                throw new GatewayConfigException(_problems);
            return new GatewaySettings(source, listeners, routes, upstreams, admin!, new DrainSettings(announce!.Value, deadline!.Value) { IdleQuiet = idleQuiet!.Value, CloseSpread = closeSpread!.Value }, config) with
            {
                JsonLogs = format == "json",
                AccessLog = accessLog,
                Cluster = cluster!,
                Limits = limits,
                IoThreads = ioThreads,
                ViaName = via!,
                HotRestart = new HotRestartSettings(socket is null ? HotRestartSettings.DefaultPath(source) : Path.GetFullPath(socket)),
                Notes = parsed.Notes,
            };
        }

        /// <summary>Why a file cannot be created at <paramref name="path"/> (its folder is missing, or it is a folder), or null.</summary>
        private static string? FolderProblem(string path)
        {
            if (Directory.Exists(path)) return $"{path} is a folder: name a file in it";
            var folder = Path.GetDirectoryName(path);
            return folder is null || Directory.Exists(folder) ? null : $"the folder {folder} does not exist: create it, or name a path in a folder that exists";
        }

        /// <summary>Why the access log cannot be appended to at <paramref name="path"/> (what the start would find), or null.</summary>
        private static string? AccessLogProblem(string path)
        {
            var full = Path.GetFullPath(path);
            if (FolderProblem(full) is { } problem) return problem;
            if (!System.IO.File.Exists(full)) return null;
            try
            {
                using var probe = new FileStream(full, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                return null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"{full} cannot be appended to: {ConfigFile.Reason(e)}";
            }
        }

        /// <summary><c>gateway.cluster</c>: read and checked only when enabled, so a lone gateway ignores the section.</summary>
        private Gateway.Cluster.ClusterSettings ReadCluster(TimeSpan? deadline, List<ListenerSettings> listeners, AdminSettings? admin)
        {
            const string key = "gateway.cluster";
            var enabled = Bool($"{key}.enabled", false);
            if (!enabled) return Gateway.Cluster.ClusterSettings.Disabled;
            var hostname = String($"{key}.hostname") ?? throw Error($"{key}.hostname", "missing: the address other nodes reach this one at, e.g. \"127.0.0.1\"");
            var port = Int($"{key}.port", 4053);
            if (port is < 1 or > 65535)
                throw Error($"{key}.port", $"{port} is not a port (1–65535)");
            var local = new[] { admin?.Address }.Concat(listeners.Select(l => l.Address)).OfType<IPEndPoint>();
            if (local.FirstOrDefault(a => a.Port == port && (IPAddress.TryParse(hostname, out var ip) ? ip.Equals(a.Address) || a.Address.Equals(IPAddress.Any) : true)) is { } clash)
                throw Error($"{key}.port", $"{port} is already used by a listener or the admin API ({clash})");
            var seeds = ReadSeeds($"{key}.seed-nodes");
            var maxDraining = Int($"{key}.max-draining", 1);
            if (maxDraining < 1)
                throw Error($"{key}.max-draining", "must be at least 1 (one node at a time drains by default)");
            var reserve = Duration($"{key}.queue-reserve", TimeSpan.FromSeconds(10));
            if (deadline is { } d && reserve > d)
                throw Error(Blame($"{key}.queue-reserve", "gateway.drain.deadline"), $"{reserve.TotalSeconds}s is longer than the drain deadline ({d.TotalSeconds}s): a queued node could not drain in time");
            var down = Duration($"{key}.down-unreachable-after", TimeSpan.FromSeconds(20));
            if (down <= TimeSpan.Zero)
                throw Error($"{key}.down-unreachable-after", "must be greater than 0s");
            return new Gateway.Cluster.ClusterSettings(true, hostname, port, seeds, maxDraining, reserve, down);
        }

        private List<DnsEndPoint> ReadSeeds(string key)
        {
            var value = config.GetValue(key);
            if (value is null || value.IsEmpty)
                throw Error(key, "missing: list the host:port of at least one node to join, e.g. [\"127.0.0.1:4053\"]");
            if (value.IsString() || value.IsObject())
                throw Error(key, "must be a list of host:port, e.g. [\"127.0.0.1:4053\"]");
            var seeds = new List<DnsEndPoint>();
            foreach (var item in value.GetArray())
            {
                var text = item.IsString() ? item.GetString() : null;
                var colon = text?.LastIndexOf(':') ?? -1;
                if (text is null || colon <= 0 || text.Contains("://", StringComparison.Ordinal)
                    || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
                    throw Error(key, $"\"{text}\" is not a seed node: write host:port, e.g. \"127.0.0.1:4053\" (the gateway adds the system name)");
                seeds.Add(new DnsEndPoint(text[..colon].Trim('[', ']'), port));
            }
            if (seeds.Count == 0)
                throw Error(key, "is empty: list at least one node to join, e.g. [\"127.0.0.1:4053\"]");
            return seeds;
        }

        private void CheckKeys(string path, IDictionary<string, HoconValue> items, ConfigSchema.Node schema)
        {
            foreach (var (key, value) in items)
            {
                var full = $"{path}.{key}";
                if (schema.Named is { } named)
                {
                    if (!value.IsObject())
                        throw Error(full, "must be an object `{ … }`");
                    CheckKeys(full, value.GetObject().Items, named);
                    continue;
                }
                if (!schema.Keys.TryGetValue(key, out var child))
                {
                    var nearest = ConfigSchema.Nearest(key, schema.Keys.Keys);
                    throw Error(full, nearest is null
                        ? $"unknown key (known here: {string.Join(", ", schema.Keys.Keys)})"
                        : $"unknown key; did you mean `{nearest}`?");
                }
                if (child is not null)
                {
                    if (!value.IsObject())
                        throw Error(full, "must be an object `{ … }`");
                    CheckKeys(full, value.GetObject().Items, child);
                }
            }
        }

        private IEnumerable<string> Named(string path)
        {
            var value = config.GetValue(path);
            return value is not null && value.IsObject() ? value.GetObject().Items.Keys.ToList() : [];
        }

        private ListenerSettings ReadListener(string name, LimitSettings limits)
        {
            var key = $"gateway.listeners.{name}";
            var address = Address($"{key}.address");
            var protocol = String($"{key}.protocol") ?? "http";
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
        /// Reads a <c>limits { … }</c> block over <paramref name="fallback"/>. A listener's block may hold only the keys
        /// applied per connection or request; the others configure the one Kestrel server every listener shares.
        /// </summary>
        private LimitSettings ReadLimits(string key, LimitSettings fallback, IReadOnlyList<string> allowed)
        {
            if (config.GetValue(key) is { } block && block.IsObject())
                foreach (var name in block.GetObject().Items.Keys)
                    if (!allowed.Contains(name))
                        throw Error($"{key}.{name}", $"applies to every listener (one Kestrel server serves them all): set gateway.limits.{name}");
            int Positive(string name, long value, long max)
            {
                if (value < 1) throw Error($"{key}.{name}", "must be greater than 0");
                if (value > max) throw Error($"{key}.{name}", $"{value} is more than {max}");
                return (int)Math.Min(value, int.MaxValue);
            }
            var connections = Positive("max-connections", Int($"{key}.max-connections", fallback.MaxConnections), 1_000_000);
            var line = Positive("max-request-line-bytes", Bytes($"{key}.max-request-line-bytes", fallback.MaxRequestLineBytes), int.MaxValue);
            var headers = Positive("max-header-bytes", Bytes($"{key}.max-header-bytes", fallback.MaxHeaderBytes), int.MaxValue);
            var body = Bytes($"{key}.max-body-bytes", fallback.MaxBodyBytes);
            if (body < 1) throw Error($"{key}.max-body-bytes", "must be greater than 0");
            var headerTimeout = Duration($"{key}.header-timeout", fallback.HeaderTimeout);
            if (headerTimeout <= TimeSpan.Zero) throw Error($"{key}.header-timeout", "must be greater than 0s");
            var rate = fallback.MinBodyBytesPerSecond;
            if (config.HasPath($"{key}.min-body-bytes-per-second"))
            {
                var text = String($"{key}.min-body-bytes-per-second");
                if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out rate) || rate < 0 || !double.IsFinite(rate))
                    throw Error($"{key}.min-body-bytes-per-second", $"\"{text}\" is not a rate: write bytes per second, e.g. 240 (0: no minimum)");
            }
            var grace = Duration($"{key}.min-body-rate-grace", fallback.MinBodyRateGrace);
            // Kestrel measures the rate once a second: a grace of one second or less would cut a body before its first tick.
            if (rate > 0 && grace <= TimeSpan.FromSeconds(1))
                throw Error(Blame($"{key}.min-body-rate-grace", $"{key}.min-body-bytes-per-second"), "the grace must be longer than 1s while a minimum rate is set");
            return new LimitSettings(connections, line, headers, body, headerTimeout, rate, grace);
        }

        /// <summary>A size with its unit written (<c>8KiB</c>, <c>30MiB</c>, <c>512B</c>).</summary>
        private long Bytes(string key, long fallback)
        {
            if (!config.HasPath(key)) return fallback;
            var text = String(key) ?? throw Error(key, "missing: write a size, e.g. 8KiB");
            return ConfigUnits.TryParseSize(text, out var value, out var problem) ? value : throw Error(key, problem);
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
                throw Error($"{key}.upstream", upstreams.Count == 0
                    ? $"unknown upstream \"{upstream}\" (no upstream is configured)"
                    : $"unknown upstream \"{upstream}\" (known: {string.Join(", ", upstreams)})");
            if (_endpointTexts.TryGetValue(upstream, out var texts) && texts.FirstOrDefault(t => t.Contains("://", StringComparison.Ordinal)) is { } http)
                throw Error($"gateway.upstreams.{upstream}.endpoints",
                    $"\"{http}\" is an HTTP endpoint, but upstream {upstream} serves tcp route {name}: write host:port");
            return new RouteSettings(name, listener, "/", null, upstream, null);
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

        /// <summary>Where relative certificate paths start: the config file's folder (the working folder for the embedded default).</summary>
        private string Folder => FolderOf(source);

        private string File(string key, string? text) =>
            string.IsNullOrWhiteSpace(text) ? throw Error(key, "must name a file") : Path.GetFullPath(text, Folder);

        private ListenerTlsSettings ReadListenerTls(string key)
        {
            var files = Pair(key, String($"{key}.certificate"), String($"{key}.key"));
            var version = String($"{key}.min-version") ?? "1.2";
            var protocols = version switch
            {
                "1.2" => SslProtocols.Tls12 | SslProtocols.Tls13,
                "1.3" => SslProtocols.Tls13,
                _ => throw Error($"{key}.min-version", $"\"{version}\" is not a TLS version the gateway offers: write \"1.2\" or \"1.3\""),
            };
            var unknown = String($"{key}.unknown-sni") ?? "default";
            var unknownSni = unknown switch
            {
                "default" => UnknownSni.Default,
                "refuse" => UnknownSni.Refuse,
                _ => throw Error($"{key}.unknown-sni", $"\"{unknown}\" is not a choice: write default or refuse"),
            };
            var sni = new Dictionary<string, CertificateFiles>(StringComparer.OrdinalIgnoreCase);
            if (config.GetValue($"{key}.sni") is { } names && names.IsObject())
                foreach (var (name, value) in names.GetObject().Items)
                {
                    var entry = $"{key}.sni.\"{name}\"";
                    if (!System.Text.RegularExpressions.Regex.IsMatch(name, @"^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$"))
                        throw Error(entry, "is not a host name: write e.g. \"api.example.test\" or \"*.example.test\"");
                    var pair = value.GetObject().Items;
                    sni[name.ToLowerInvariant()] = Pair(entry,
                        pair.TryGetValue("certificate", out var c) && c.IsString() ? c.GetString() : null,
                        pair.TryGetValue("key", out var k) && k.IsString() ? k.GetString() : null);
                }
            return new ListenerTlsSettings(files, sni, protocols, unknownSni);
        }

        /// <summary>A certificate and its key, both named, readable and matching: checked now so a bad pair starts nothing.</summary>
        private CertificateFiles Pair(string key, string? certificate, string? privateKey, string certificateKey = "certificate", string keyKey = "key")
        {
            if (certificate is null) throw Error($"{key}.{certificateKey}", "missing: name the PEM certificate file");
            if (privateKey is null) throw Error($"{key}.{keyKey}", "missing: name the PEM private key file");
            var files = new CertificateFiles(File($"{key}.{certificateKey}", certificate), File($"{key}.{keyKey}", privateKey), key);
            if (!readCertificates) return files;
            foreach (var (name, path) in new[] { (certificateKey, files.Certificate), (keyKey, files.PrivateKey) })
                if (ConfigFile.Problem(path) is { } unusable)
                    throw Error($"{key}.{name}", $"{path}: {unusable}");
            try
            {
                CertificateLoader.Load(files, DateTimeOffset.UtcNow).Dispose();
            }
            catch (CertificateException e)
            {
                throw Error($"{key}.{(e.File == files.PrivateKey && e.File != files.Certificate ? keyKey : certificateKey)}", $"{e.File}: {e.Reason}");
            }
            return files;
        }

        private UpstreamTlsSettings ReadUpstreamTls(string key)
        {
            var ca = String($"{key}.ca") is { } caText ? File($"{key}.ca", caText) : null;
            if (ca is not null && readCertificates && ConfigFile.Problem(ca) is { } unusable)
                throw Error($"{key}.ca", $"{ca}: {unusable}");
            if (ca is not null && readCertificates)
            {
                try
                {
                    CertificateLoader.LoadBundle(ca);
                }
                catch (CertificateException e)
                {
                    throw Error($"{key}.ca", $"{e.File}: {e.Reason}");
                }
            }
            var certificate = String($"{key}.client-certificate");
            var privateKey = String($"{key}.client-key");
            var client = certificate is null && privateKey is null ? null
                : Pair(key, certificate, privateKey, "client-certificate", "client-key");
            return new UpstreamTlsSettings(ca, client, Bool($"{key}.verify", true));
        }

        private bool Bool(string key, bool fallback)
        {
            if (!config.HasPath(key)) return fallback;
            return String(key)?.ToLowerInvariant() switch
            {
                "on" or "true" or "yes" => true,
                "off" or "false" or "no" => false,
                var text => throw Error(key, $"\"{text}\" is not on or off"),
            };
        }

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
            var connect = Duration($"{key}.connect-timeout", DefaultConnectTimeout);
            var response = Duration($"{key}.response-timeout", DefaultResponseTimeout);
            if (connect <= TimeSpan.Zero) throw Error($"{key}.connect-timeout", "must be greater than 0s");
            if (response <= TimeSpan.Zero) throw Error($"{key}.response-timeout", "must be greater than 0s");
            var tls = config.HasPath($"{key}.tls") ? ReadUpstreamTls($"{key}.tls") : null;
            if (tls is not null && endpoints.All(e => e.Scheme != Uri.UriSchemeHttps))
                throw Error($"{key}.tls", "no endpoint is https://: TLS settings would not be used");
            var ejectFor = Duration($"{key}.eject-for", UpstreamSettings.DefaultEjectFor);
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

        private RouteSettings ReadRoute(string name, List<string> listeners, List<string> upstreams)
        {
            var key = $"gateway.routes.{name}";
            var listener = String($"{key}.listener")
                ?? throw Error($"{key}.listener", "missing: name the listener this route serves");
            if (!listeners.Contains(listener))
                throw Error($"{key}.listener", $"unknown listener \"{listener}\" (known: {string.Join(", ", listeners)})");

            var prefix = String($"{key}.path-prefix") ?? "/";
            if (RouteRules.PrefixProblem(prefix) is { } never)
                throw Error($"{key}.path-prefix", never);
            var host = String($"{key}.host");
            if (host is not null && RouteRules.HostProblem(host) is { } unmatched)
                throw Error($"{key}.host", unmatched);

            var upstream = String($"{key}.upstream");
            var direct = config.HasPath($"{key}.direct-response") ? ReadDirect($"{key}.direct-response") : null;
            var redirect = Bool($"{key}.redirect-https", false)
                ? new RedirectHttpsSettings(config.HasPath($"{key}.redirect-https-port") ? Port($"{key}.redirect-https-port") : null)
                : null;
            if (redirect is null && config.HasPath($"{key}.redirect-https-port"))
                throw Error($"{key}.redirect-https-port", "only used with redirect-https = on");
            if ((upstream is null ? 0 : 1) + (direct is null ? 0 : 1) + (redirect is null ? 0 : 1) != 1)
                throw Error(key, "a route needs exactly one of `upstream`, `direct-response` or `redirect-https = on`");
            if (upstream is not null && !upstreams.Contains(upstream))
                throw Error($"{key}.upstream", upstreams.Count == 0
                    ? $"unknown upstream \"{upstream}\" (no upstream is configured)"
                    : $"unknown upstream \"{upstream}\" (known: {string.Join(", ", upstreams)})");
            return new RouteSettings(name, listener, prefix, host, upstream, direct)
            {
                RedirectHttps = redirect, Streams = ReadStreams($"{key}.streams"), Forwarding = ReadForwarding(key),
            };
        }

        private ForwardingSettings ReadForwarding(string route)
        {
            var mode = String($"{route}.forwarded-headers") switch
            {
                null or "replace" => ForwardedHeadersMode.Replace,
                "append" => ForwardedHeadersMode.Append,
                "off" => ForwardedHeadersMode.Off,
                var other => throw Error($"{route}.forwarded-headers", $"\"{other}\" is not a mode: write replace, append or off"),
            };
            var key = $"{route}.trusted-proxies";
            var value = config.GetValue(key);
            List<string> trusted = [];
            if (value is not null && !value.IsEmpty)
            {
                if (mode != ForwardedHeadersMode.Append)
                    throw Error(key, "only used with forwarded-headers = append (the peers whose forwarding headers are kept)");
                if (value.IsString() || value.IsObject())
                    throw Error(key, "must be a list of CIDR ranges, e.g. [\"10.0.0.0/8\"]");
                foreach (var range in value.GetArray().Select(v => v.IsString() ? v.GetString() : null))
                    trusted.Add(range is not null && Routing.TrustedProxies.TryParseRange(range, out _)
                        ? range
                        : throw Error(key, $"\"{range}\" is not an address range: write e.g. \"10.0.0.0/8\", \"192.168.1.7\" or \"fd00::/8\""));
            }
            return new ForwardingSettings(mode, trusted, Bool($"{route}.preserve-host", false));
        }

        private int Port(string key)
        {
            var port = Int(key, 443);
            return port is >= 1 and <= 65535 ? port : throw Error(key, $"{port} is not a port (1–65535)");
        }

        private StreamSettings ReadStreams(string key)
        {
            var fallback = StreamSettings.Default;
            var policy = String($"{key}.on-drain") switch
            {
                null => fallback.OnDrain,
                "keep-until-deadline" => StreamDrainPolicy.KeepUntilDeadline,
                "graceful-close" => StreamDrainPolicy.GracefulClose,
                var other => throw Error($"{key}.on-drain", $"\"{other}\" is not a policy: write keep-until-deadline or graceful-close"),
            };
            return new StreamSettings(policy, Duration($"{key}.grace", fallback.Grace), Duration($"{key}.sse-retry", fallback.SseRetry));
        }

        private DirectResponseSettings ReadDirect(string key)
        {
            var status = Int($"{key}.status", 200);
            if (status is < 200 or > 599)
                throw Error($"{key}.status", $"{status} is not a final HTTP status (200–599)");
            return new DirectResponseSettings(status, String($"{key}.body") ?? "");
        }

        private string? String(string key)
        {
            var value = config.GetValue(key);
            if (value is null || value.IsEmpty) return null;
            if (!value.IsString())
                throw Error(key, "must be a string");
            return value.GetString();
        }

        private int Int(string key, int fallback)
        {
            if (!config.HasPath(key)) return fallback;
            var text = String(key);
            return int.TryParse(text, out var n) ? n : throw Error(key, $"\"{text}\" is not a whole number");
        }

        /// <summary>A duration with its unit written (<c>500ms</c>, <c>30s</c>): a bare number is refused, not read as milliseconds.</summary>
        private TimeSpan Duration(string key, TimeSpan? fallback = null)
        {
            if (!config.HasPath(key))
                return fallback ?? throw Error(key, "missing");
            var text = String(key) ?? throw Error(key, "missing: write a duration, e.g. 30s");
            return ConfigUnits.TryParseDuration(text, out var value, out var problem) ? value : throw Error(key, problem);
        }

        private IPEndPoint Address(string key)
        {
            var text = String(key) ?? throw Error(key, "missing: write host:port, e.g. \"127.0.0.1:8080\"");
            if (TryParseAddress(text, out var endpoint))
                return endpoint;
            throw Error(key, $"\"{text}\" is not an address: write ip:port, [ipv6]:port or localhost:port (port 0–65535)");
        }

        /// <summary>No two sockets of the file on one address, nor a wildcard beside a specific address on the same port.</summary>
        private void CheckDistinctAddresses(List<ListenerSettings> listeners, AdminSettings admin)
        {
            var seen = new List<(string Key, IPEndPoint Address)>();
            foreach (var (key, address) in listeners.Select(l => ($"gateway.listeners.{l.Name}.address", l.Address))
                         .Append(("gateway.admin.address", admin.Address)))
            {
                if (seen.FirstOrDefault(s => AddressOverlap.Overlaps(s.Address, address)) is { Key: { } other, Address: { } taken })
                    throw Error(key, taken.Equals(address)
                        ? $"{address} is already used by {other}"
                        : $"{address} overlaps {taken} of {other}: a wildcard address takes the port on every interface of its family, so both cannot be bound; use one, or another port");
                seen.Add((key, address));
            }
        }
    }

    /// <summary>Parses <c>ip:port</c>, <c>[ipv6]:port</c> or <c>localhost:port</c>.</summary>
    public static bool TryParseAddress(string text, out IPEndPoint endpoint)
    {
        endpoint = null!;
        const string localhost = "localhost:";
        if (text.StartsWith(localhost, StringComparison.OrdinalIgnoreCase))
        {
            if (!ushort.TryParse(text.AsSpan(localhost.Length), out var port)) return false;
            endpoint = new IPEndPoint(IPAddress.Loopback, port);
            return true;
        }
        if (!text.Contains(':') || !IPEndPoint.TryParse(text, out var parsed)) return false;
        // IPEndPoint.TryParse accepts "1.2.3.4" with port 0 when no port is written; insist on one.
        if (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !text.StartsWith('[')) return false;
        endpoint = parsed;
        return true;
    }
}
