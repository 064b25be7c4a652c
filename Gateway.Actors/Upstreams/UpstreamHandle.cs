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
    private TaskCompletionSource? _idle;
    private int _next = -1;
    private int _inFlight;

    /// <exception cref="Tls.CertificateException">A TLS file of the upstream cannot be used.</exception>
    public UpstreamHandle(UpstreamSettings settings)
    {
        Settings = settings;
        _endpoints = settings.Endpoints.Select(e => e.ToString()).ToArray();
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
        RequestConfig = new ForwarderRequestConfig { ActivityTimeout = settings.ResponseTimeout };
    }

    public UpstreamSettings Settings { get; }
    public string Name => Settings.Name;
    public HttpMessageInvoker Invoker { get; }
    public ForwarderRequestConfig RequestConfig { get; }
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The next endpoint, round-robin.</summary>
    public string NextEndpoint() => _endpoints[(int)((uint)Interlocked.Increment(ref _next) % (uint)_endpoints.Length)];

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
