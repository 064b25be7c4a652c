using System.Net;
using Gateway.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Upstreams;

/// <summary>
/// One upstream in production: its own <see cref="SocketsHttpHandler"/> pool, round-robin over its endpoints, and a
/// lock-free in-flight counter. Owned by its <see cref="UpstreamActor"/>, used by requests without a message.
/// </summary>
public sealed class UpstreamHandle : IUpstreamPort
{
    private readonly string[] _endpoints;
    private readonly ForwarderRequestConfig[] _requestConfigs;
    private readonly long[] _ejectedUntil;
    private TaskCompletionSource? _idle;
    private int _next = -1;
    private int _inFlight;

    /// <exception cref="Tls.CertificateException">A TLS file of the upstream cannot be used.</exception>
    public UpstreamHandle(UpstreamSettings settings)
    {
        Settings = settings;
        _endpoints = settings.Endpoints.Select(UpstreamProtocols.Destination).ToArray();
        _requestConfigs = settings.Endpoints.Select(e => UpstreamProtocols.RequestConfig(UpstreamProtocols.Of(e), settings.ResponseTimeout)).ToArray();
        _ejectedUntil = new long[_endpoints.Length];
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = settings.ConnectTimeout,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            SslOptions = Tls.UpstreamTls.Options(settings.Tls, DateTimeOffset.UtcNow),
        }, disposeHandler: true);
    }

    public UpstreamSettings Settings { get; }
    public string Name => Settings.Name;
    public HttpMessageInvoker Invoker { get; }

    /// <summary>How requests go to the endpoint at <paramref name="index"/>: its protocol (by scheme) and the response timeout.</summary>
    public ForwarderRequestConfig RequestConfig(int index) => _requestConfigs[index];
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The next endpoint, round-robin.</summary>
    public string NextEndpoint() => _endpoints[NextEndpointIndex()];

    public int EndpointCount => _endpoints.Length;

    public string Endpoint(int index) => _endpoints[index];

    /// <summary>The next endpoint in rotation: ejected ones are skipped, unless every endpoint is ejected.</summary>
    public int NextEndpointIndex()
    {
        var first = (int)((uint)Interlocked.Increment(ref _next) % (uint)_endpoints.Length);
        if (_endpoints.Length == 1) return first;
        var now = Environment.TickCount64;
        for (var i = 0; i < _endpoints.Length; i++)
        {
            var index = (first + i) % _endpoints.Length;
            if (Volatile.Read(ref _ejectedUntil[index]) <= now) return index;
        }
        return first;
    }

    /// <summary>Another endpoint in rotation than <paramref name="failed"/>, for a retry; null when there is none.</summary>
    public int? OtherEndpointIndex(int failed)
    {
        var now = Environment.TickCount64;
        for (var i = 1; i < _endpoints.Length; i++)
        {
            var index = (failed + i) % _endpoints.Length;
            if (Volatile.Read(ref _ejectedUntil[index]) <= now) return index;
        }
        return null;
    }

    /// <summary>Passive health: an endpoint that could not be connected to leaves the rotation for a while.</summary>
    /// <returns>True when this failure took it out (it was in rotation).</returns>
    internal bool ConnectFailed(int index)
    {
        if (Settings.EjectFor <= TimeSpan.Zero) return false;
        var now = Environment.TickCount64;
        var until = now + (long)Settings.EjectFor.TotalMilliseconds;
        var before = Volatile.Read(ref _ejectedUntil[index]);
        return before <= now && Interlocked.CompareExchange(ref _ejectedUntil[index], until, before) == before;
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

    public void Close() => Invoker.Dispose();
}
