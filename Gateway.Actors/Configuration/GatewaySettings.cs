using System.Net;
using Akka.Configuration;

namespace Gateway.Configuration;

/// <summary>The validated gateway configuration: what <c>gateway { … }</c> says, plus the merged HOCON for Akka.</summary>
/// <param name="Source">Where the configuration came from: a file path or the embedded default.</param>
public sealed record GatewaySettings(
    string Source,
    IReadOnlyList<ListenerSettings> Listeners,
    IReadOnlyList<RouteSettings> Routes,
    IReadOnlyList<UpstreamSettings> Upstreams,
    AdminSettings Admin,
    DrainSettings Drain,
    Config Hocon)
{
    // The defaults below are hocon/reference.conf's (GatewayConfigLoader.Shipped): a setting built in code gets the
    // ones a file that leaves the key out gets.

    /// <summary>The access log, when one is configured.</summary>
    public AccessLogSettings? AccessLog { get; init; } = GatewayConfigLoader.Shipped.AccessLog;

    /// <summary>Console log lines as plain text or one JSON object per line.</summary>
    public bool JsonLogs { get; init; } = GatewayConfigLoader.Shipped.JsonLogs;

    /// <summary>Whether this gateway is a node of a gateway cluster.</summary>
    public Gateway.Cluster.ClusterSettings Cluster { get; init; } = Gateway.Cluster.ClusterSettings.Disabled;

    /// <summary>The limits every http listener applies unless it sets its own (the Kestrel server's apply to all).</summary>
    public LimitSettings Limits { get; init; } = LimitSettings.Default;

    /// <summary>
    /// How many threads run socket work inline (Kestrel, the forwarder, upstream connections); null: one less than
    /// the cores, at least one. Applied by the host process at start, before its first socket.
    /// </summary>
    public int? IoThreads { get; init; } = GatewayConfigLoader.Shipped.IoThreads;

    /// <summary>Where this gateway listens for a successor (hot restart).</summary>
    public HotRestartSettings HotRestart { get; init; } = new(HotRestartSettings.DefaultPath(Source));

    /// <summary>What reading the file noticed without refusing it, one line each (an optional include that is missing).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The name this gateway gives itself in the <c>Via</c> header of requests and responses it forwards.</summary>
    public string ViaName { get; init; } = DefaultViaName;

    /// <summary>The host name when it is a valid Via pseudonym (an HTTP token), else <c>gateway</c>.</summary>
    public static readonly string DefaultViaName = IsToken(Environment.MachineName) ? Environment.MachineName : "gateway";

    /// <summary>An HTTP token (RFC 9110 §5.6.2): what a Via pseudonym must be.</summary>
    public static bool IsToken(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (!char.IsAsciiLetterOrDigit(c) && "!#$%&'*+-.^_`|~".IndexOf(c) < 0) return false;
        return !text.IsEmpty;
    }
}

/// <summary>Where access log lines go ("stdout" or a file, appended) and how many may wait to be written.</summary>
public sealed record AccessLogSettings(string Path, int Buffer);

/// <summary>The control socket through which a new process takes over the listening sockets.</summary>
/// <param name="SocketPath">A Unix domain socket path, mode 0600.</param>
public sealed record HotRestartSettings(string SocketPath)
{
    /// <summary>One path per config file: <c>$XDG_RUNTIME_DIR</c> (or the temp folder) and a hash of the file's path.</summary>
    public static string DefaultPath(string source)
    {
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(source)))[..12];
        var folder = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && Directory.Exists(runtime)
            ? runtime
            : Path.GetTempPath();
        return Path.Combine(folder, $"gateway-{hash}.sock");
    }
}

/// <summary>One bound socket: Kestrel serves it (HTTP/1.1 and HTTP/2: cleartext, or TLS with ALPN), or the TCP proxy (raw bytes).</summary>
public sealed record ListenerSettings(string Name, IPEndPoint Address)
{
    public ListenerProtocol Protocol { get; init; } = GatewayConfigLoader.Shipped.Protocol;

    /// <summary>Raw TCP only: during a drain, a connection that carried no byte for this long is closed. Null: never.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Http only: the gateway's limits with this listener's own <c>limits { … }</c> over them.</summary>
    public LimitSettings Limits { get; init; } = LimitSettings.Default;

    /// <summary>TLS on this (http) listener, when configured.</summary>
    public ListenerTlsSettings? Tls { get; init; }
}

/// <summary>What a listener speaks: HTTP through Kestrel, or raw TCP relayed byte for byte to one upstream.</summary>
public enum ListenerProtocol
{
    Http,
    Tcp,
}

/// <summary>
/// A route sends requests of one listener whose path starts with <see cref="PathPrefix"/> (and whose host matches
/// <see cref="Host"/>, when set) either to an upstream or to a fixed answer. The longest prefix wins.
/// </summary>
public sealed record RouteSettings(
    string Name,
    string Listener,
    string PathPrefix,
    string? Host,
    string? Upstream,
    DirectResponseSettings? DirectResponse)
{
    /// <summary>Answer with a 308 to the same host and path over https instead (port when set, else 443).</summary>
    public RedirectHttpsSettings? RedirectHttps { get; init; }

    /// <summary>What a drain does to this route's long-lived streams (WebSockets, server-sent events).</summary>
    public StreamSettings Streams { get; init; } = StreamSettings.Default;

    /// <summary>What the upstream is told about the client (forwarding headers) and which Host it sees.</summary>
    public ForwardingSettings Forwarding { get; init; } = ForwardingSettings.Default;
}

/// <summary>What a route's upstream learns of the client: the forwarding headers, and the Host header it gets.</summary>
/// <param name="TrustedProxies">
/// <see cref="ForwardedHeadersMode.Append"/> only: the peers (CIDR ranges as written) whose forwarding headers are
/// kept; empty: every peer is trusted.
/// </param>
/// <param name="PreserveHost">The upstream gets the client's Host; otherwise its own (the endpoint's host:port).</param>
public sealed record ForwardingSettings(ForwardedHeadersMode ForwardedHeaders, IReadOnlyList<string> TrustedProxies, bool PreserveHost)
{
    /// <summary>What a route that sets none of the keys gets (hocon/reference.conf).</summary>
    public static ForwardingSettings Default => GatewayConfigLoader.Shipped.Forwarding;

    // By value, list included: a route read again (a reload, the cluster's wire) is the same route.
    public bool Equals(ForwardingSettings? other) =>
        other is not null && ForwardedHeaders == other.ForwardedHeaders && PreserveHost == other.PreserveHost
        && TrustedProxies.SequenceEqual(other.TrustedProxies);

    public override int GetHashCode() => HashCode.Combine(ForwardedHeaders, PreserveHost, TrustedProxies.Count);

    public override string ToString() =>
        $"ForwardingSettings {{ ForwardedHeaders = {ForwardedHeaders}, TrustedProxies = [{string.Join(", ", TrustedProxies)}], PreserveHost = {PreserveHost} }}";
}

/// <summary>What happens to <c>X-Forwarded-*</c>, <c>Forwarded</c> and <c>X-Real-IP</c> on the way to the upstream.</summary>
public enum ForwardedHeadersMode
{
    /// <summary>The client's are dropped; X-Forwarded-For, -Proto and -Host are set from the connection.</summary>
    Replace,
    /// <summary>Behind a trusted proxy: its headers are kept and ours appended; a peer not trusted gets Replace.</summary>
    Append,
    /// <summary>None reaches the upstream: the client's are dropped and none is added.</summary>
    Off,
}

/// <summary>The HTTP→HTTPS redirect of a route; <paramref name="Port"/> null means the default port (443).</summary>
public sealed record RedirectHttpsSettings(int? Port);

/// <summary>What a drain does to a long-lived stream.</summary>
public enum StreamDrainPolicy
{
    /// <summary>The stream runs on; shortly before the deadline it gets the goodbye below, then it is forced.</summary>
    KeepUntilDeadline,
    /// <summary>When the drain starts (after <see cref="StreamSettings.Grace"/>) the stream gets its goodbye.</summary>
    GracefulClose,
}

/// <summary>
/// The goodbye of a long-lived stream: a WebSocket gets close 1001 "going away" in both directions; a server-sent
/// event stream ends at an event boundary, with a final <c>retry:</c> hint when <see cref="SseRetry"/> is set.
/// </summary>
public sealed record StreamSettings(StreamDrainPolicy OnDrain, TimeSpan Grace, TimeSpan SseRetry)
{
    /// <summary>What a route that sets none of the keys gets (hocon/reference.conf).</summary>
    public static StreamSettings Default => GatewayConfigLoader.Shipped.Streams;
}

/// <summary>A fixed answer given by the gateway itself.</summary>
public sealed record DirectResponseSettings(int Status, string Body);

/// <summary>A pool of equivalent endpoints, used round-robin.</summary>
/// <param name="Endpoints">Destination prefixes such as <c>http://127.0.0.1:9001/</c>.</param>
public sealed record UpstreamSettings(
    string Name,
    IReadOnlyList<Uri> Endpoints,
    TimeSpan ConnectTimeout,
    TimeSpan ResponseTimeout)
{
    /// <summary>TLS to the <c>https://</c> endpoints (verification on with the system store when not configured).</summary>
    public UpstreamTlsSettings? Tls { get; init; }

    /// <summary>
    /// Passive health: an endpoint that refused a connection (or could not be reached in time) leaves the rotation for
    /// this long, then gets requests again. Zero: never taken out.
    /// </summary>
    public TimeSpan EjectFor { get; init; } = GatewayConfigLoader.Shipped.Upstream.EjectFor;

    /// <summary>Passive health: this many 5xx answers in a row eject an endpoint for <see cref="EjectFor"/>; 0: never.</summary>
    public int EjectAfter5xx { get; init; } = GatewayConfigLoader.Shipped.Upstream.EjectAfter5xx;

    /// <summary>Active health checks of the endpoints; null: passive health only.</summary>
    public HealthCheckSettings? HealthCheck { get; init; }

    /// <summary>An endpoint back in rotation (recovered, undrained, newly resolved) gets a share that grows over this long; zero: its full share at once.</summary>
    public TimeSpan SlowStart { get; init; } = GatewayConfigLoader.Shipped.Upstream.SlowStart;

    /// <summary>How many more endpoints a request that may be retried is tried on (0: none).</summary>
    public int Retries { get; init; } = GatewayConfigLoader.Shipped.Upstream.Retries;

    /// <summary>How much of a request body is kept so that it can be sent again on a retry.</summary>
    public int RetryBuffer { get; init; } = GatewayConfigLoader.Shipped.Upstream.RetryBuffer;

    /// <summary>Retries are at most this share of the requests (plus a small reserve), so they never double the load.</summary>
    public double RetryBudget { get; init; } = GatewayConfigLoader.Shipped.Upstream.RetryBudget;

    /// <summary>Endpoints written with a DNS name are resolved again this often, one endpoint per address; zero: each new connection resolves the name.</summary>
    public TimeSpan DnsRefresh { get; init; } = GatewayConfigLoader.Shipped.Upstream.DnsRefresh;
}

/// <summary>Where the admin API listens, and the bearer token every request must carry when one is set.</summary>
public sealed record AdminSettings(IPEndPoint Address, string? Token = null)
{
    public override string ToString() => $"AdminSettings {{ Address = {Address}, Token = {(Token is null ? "none" : "***")} }}";
}

/// <summary>The drain timeline, both measured from the signal.</summary>
/// <param name="Announce">How long listeners keep accepting after the signal (load balancers still send).</param>
/// <param name="Deadline">When whatever is still open is forced.</param>
public sealed record DrainSettings(TimeSpan Announce, TimeSpan Deadline)
{
    /// <summary>An idle keep-alive connection used less than this long ago is closed only once it has been quiet this long.</summary>
    public TimeSpan IdleQuiet { get; init; } = GatewayConfigLoader.Shipped.IdleQuiet;

    /// <summary>Idle connections are closed at random moments over this window, not all at once.</summary>
    public TimeSpan CloseSpread { get; init; } = GatewayConfigLoader.Shipped.CloseSpread;

    /// <summary>HTTP/2: the final GOAWAY waits at most this long for the ACK of the PING sent with the first.</summary>
    public TimeSpan GoAwayAckTimeout { get; init; } = GatewayConfigLoader.Shipped.GoAwayAckTimeout;

    public Lifecycle.IdleClosePolicy IdleClose => new(IdleQuiet, CloseSpread);
}
