using System.Net;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Gateway.Configuration;

/// <summary>
/// Reads the gateway's HOCON: a user's file (or the embedded <c>gateway.conf</c>) layered over the embedded
/// <c>reference.conf</c>, then validated so that a bad file never starts a half-working gateway. Every default comes
/// from <c>reference.conf</c>; the reader has none of its own. One file per section: listeners, routes, upstreams,
/// TLS, the cluster, the process-wide keys (admin, drain, logs…), and the typed values they are read with.
/// </summary>
public static partial class GatewayConfigLoader
{
    /// <summary>The name errors give for the embedded default configuration.</summary>
    public const string EmbeddedDefaultName = "embedded hocon/gateway.conf";

    /// <summary>The name of the embedded reference configuration, where every default is written.</summary>
    internal const string ReferenceName = "embedded hocon/reference.conf";

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
    private static string FolderOf(string source) => source == EmbeddedDefaultName || source == ReferenceName
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
            CheckSections();
            var limits = Check(() => ReadLimits("gateway.limits", inherited: null, LimitSettings.Keys)) ?? LimitSettings.Default;
            var listenerNames = Named("gateway.listeners").ToList();
            var upstreamNames = Named("gateway.upstreams").ToList();
            var listeners = listenerNames.Select(n => Check(() => ReadListener(n, limits))).OfType<ListenerSettings>().ToList();
            var upstreams = upstreamNames.Select(n => Check(() => ReadUpstream(n))).OfType<UpstreamSettings>().ToList();
            var tcpListeners = listeners.Where(l => l.Protocol == ListenerProtocol.Tcp).Select(l => l.Name).ToHashSet();
            var routes = Named("gateway.routes").Select(n => Check(() => tcpListeners.Contains(String($"gateway.routes.{n}.listener") ?? "")
                ? ReadTcpRoute(n, upstreamNames)
                : ReadRoute(n, listenerNames, upstreamNames))).OfType<RouteSettings>().ToList();
            Check(() => CheckTcpRoutes(tcpListeners, routes));
            var admin = Check(ReadAdmin);
            Check(() => CheckAdminToken(admin));
            var drain = ReadDrainTimes();
            Check(() =>
            {
                if (listenerNames.Count == 0)
                    throw Error("gateway.listeners", "no listener is configured; add e.g. listeners.public { address = \"127.0.0.1:8080\" }");
            });
            Check(() => CheckDrain(drain));
            if (admin is not null) Check(() => CheckDistinctAddresses(listeners, admin));

            var hotRestart = ReadHotRestart();
            var jsonLogs = ReadJsonLogs();
            var ioThreads = Check(ReadIoThreads);
            var accessLog = Check(ReadAccessLog);

            var cluster = Check(() => ReadCluster(drain.Deadline, listeners, admin));
            foreach (var (route, first) in RouteRules.Shadowed(routes))
                _problems.Add(Error(Blame($"gateway.routes.{route}.path-prefix", $"gateway.routes.{route}"),
                    $"never matches: route {first} has the same listener, host and path-prefix and always wins; change or remove one"));
            foreach (var (key, problem) in AkkaConfigCheck.Problems(parsed.User, config, cluster?.Enabled ?? false))
                _problems.Add(Error(key, problem));
            if (_problems.Count == 0 && readCertificates && AkkaStartProbe.Problem(config) is { } failed)
                _problems.Add(Error(AkkaStartProbe.KeyIn(failed) is { } named && parsed.Positions.Written(named) ? named : "akka", failed));
            var via = Check(ReadViaName);

            if (_problems.Count > 0)
                throw new GatewayConfigException(_problems);
            return new GatewaySettings(source, listeners, routes, upstreams, admin!,
                new DrainSettings(drain.Announce!.Value, drain.Deadline!.Value) { IdleQuiet = drain.IdleQuiet!.Value, CloseSpread = drain.CloseSpread!.Value, GoAwayAckTimeout = drain.GoAwayAckTimeout!.Value }, config) with
            {
                JsonLogs = jsonLogs,
                AccessLog = accessLog,
                Cluster = cluster!,
                Limits = limits,
                IoThreads = ioThreads,
                ViaName = via!,
                HotRestart = new HotRestartSettings(hotRestart is null ? HotRestartSettings.DefaultPath(source) : Path.GetFullPath(hotRestart)),
                Notes = parsed.Notes,
            };
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
