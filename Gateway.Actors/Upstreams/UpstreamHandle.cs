using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Akka.Actor;
using Gateway.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Upstreams;

/// <summary>
/// One upstream in production: its endpoints (each with its own <see cref="SocketsHttpHandler"/> pool, see
/// <see cref="EndpointSet"/>), its retry budget and a lock-free in-flight counter. Owned by its
/// <see cref="UpstreamActor"/>, used by requests without a message.
/// </summary>
internal sealed class UpstreamHandle : IUpstreamPort
{
    private readonly SslClientAuthenticationOptions _ssl;
    private TaskCompletionSource? _idle;
    private int _inFlight;
    private IActorRef _owner = ActorRefs.Nobody;

    /// <summary>The counters of the endpoints of the upstream a reload replaced, by destination and address.</summary>
    private readonly Dictionary<(Uri, string), EndpointCounters> _inherited = [];

    /// <exception cref="Tls.CertificateException">A TLS file of the upstream cannot be used.</exception>
    /// <param name="predecessor">The upstream of that name a reload replaces: endpoints it had count on in its counters.</param>
    public UpstreamHandle(UpstreamSettings settings, TimeProvider? time = null, UpstreamHandle? predecessor = null)
    {
        Settings = settings;
        time ??= TimeProvider.System;
        if (predecessor is not null)
            foreach (var kept in predecessor.Endpoints.All) _inherited.TryAdd((kept.Uri, kept.Address), kept.Counters);
        _ssl = Tls.UpstreamTls.Options(settings.Tls, time.GetUtcNow());
        Endpoints = new EndpointSet(settings.Endpoints.Select(e => NewEndpoint(e, pinned: null)), time,
            settings.SlowStart, settings.EjectFor);
        Budget = new RetryBudget(settings.RetryBudget);
    }

    public UpstreamSettings Settings { get; }
    public string Name => Settings.Name;
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The endpoints, their state and how a request picks one.</summary>
    public EndpointSet Endpoints { get; }

    /// <summary>How many retries this upstream may still make.</summary>
    public RetryBudget Budget { get; }

    /// <summary>The endpoint drains in force, shared by every upstream of the gateway (set by the runtime).</summary>
    public EndpointDrains? Drains { get; internal set; }

    /// <summary>The actor that owns this upstream's endpoint states (Nobody until it started).</summary>
    public IActorRef Owner => Volatile.Read(ref _owner);

    void IUpstreamPort.Attach(IActorRef owner) => Volatile.Write(ref _owner, owner);

    EndpointSet? IUpstreamPort.Endpoints => Endpoints;

    /// <summary>The TLS options of this upstream's pools (health checks use them too).</summary>
    internal SslClientAuthenticationOptions Ssl => _ssl;

    /// <summary>An endpoint for a configured address or one address a DNS name resolved to.</summary>
    internal UpstreamEndpoint NewEndpoint(Uri destination, IPEndPoint? pinned) =>
        new($"{destination.Host}:{destination.Port}", destination, pinned, Settings.ResponseTimeout, NewPool,
            _inherited.GetValueOrDefault((destination, pinned?.ToString() ?? $"{destination.Host}:{destination.Port}")));

    /// <summary>True when <paramref name="destination"/> names a host to resolve (not an address, not localhost).</summary>
    internal static bool IsDnsName(Uri destination) =>
        destination.HostNameType == UriHostNameType.Dns && !destination.IsLoopback;

    private HttpMessageInvoker NewPool(UpstreamEndpoint endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = Settings.ConnectTimeout,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            SslOptions = _ssl,
            // HTTP/1.x connections tell a request whether its head went out (a retry for every method if it did not).
            PlaintextStreamFilter = (context, _) => ValueTask.FromResult(context.NegotiatedHttpVersion.Major == 1
                ? new Http1ConnectionStream(context.PlaintextStream)
                : context.PlaintextStream),
        };
        if (endpoint.Pinned is { } pinned)
            handler.ConnectCallback = (_, cancellationToken) => DialAsync(pinned, cancellationToken);
        // A name left to each connection is still looked up again now and then, not only when a connection fails.
        else if (IsDnsName(endpoint.Uri)) handler.PooledConnectionLifetime = TimeSpan.FromMinutes(1);
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>
    /// Connects as SocketsHttpHandler would, to <paramref name="address"/>: for a pinned endpoint one address of a DNS
    /// name, while the request keeps the name (Host header, TLS SNI).
    /// </summary>
    internal static async ValueTask<Stream> DialAsync(EndPoint address, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Passive health after one attempt on <paramref name="endpoint"/>: a failure counts against it, and takes it out
    /// of rotation for <c>eject-for</c> when the request never reached it (refused, unreachable) or after
    /// <c>eject-after-5xx</c> 5xx answers in a row. True when this attempt took it out.
    /// </summary>
    internal bool Observe(UpstreamEndpoint endpoint, bool failed, bool neverReached, int status)
    {
        bool eject;
        if (failed)
        {
            endpoint.Failed();
            eject = neverReached;
        }
        else eject = endpoint.Answered(status >= 500) is var errors && Settings.EjectAfter5xx > 0 && errors >= Settings.EjectAfter5xx;
        if (!eject || Endpoints.EjectTicks <= 0) return false;
        var now = Endpoints.Now;
        return endpoint.Eject(now, now + Endpoints.EjectTicks);
    }

    internal void Enter() => Interlocked.Increment(ref _inFlight);

    internal void Leave()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0)
            Volatile.Read(ref _idle)?.TrySetResult();
    }

    public Task WhenIdle()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _idle, idle);
        if (InFlight == 0) idle.TrySetResult();
        return idle.Task;
    }

    public void Close()
    {
        foreach (var endpoint in Endpoints.All) endpoint.Close();
    }
}
