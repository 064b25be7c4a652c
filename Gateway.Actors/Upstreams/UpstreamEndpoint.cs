using System.Net;

namespace Gateway.Upstreams;

/// <summary>
/// One endpoint of an upstream, with its own connection pool. Its service state (draining, drained), its checked
/// health and its slow start are written by the upstream's <see cref="UpstreamActor"/> only; requests read them
/// lock-free and keep the counters (in flight, requests, failures, passive ejection) with interlocked operations.
/// </summary>
internal sealed class UpstreamEndpoint
{
    private const int InService = 0, Draining = 1, Drained = 2;

    private readonly Func<UpstreamEndpoint, HttpMessageInvoker> _newPool;
    private HttpMessageInvoker _invoker;
    private TaskCompletionSource? _idle;
    private HealthCheckResult? _lastCheck;
    private int _service;
    private int _checkedHealthy = 1;
    private long _rampFrom;
    private long _ejectedUntil;
    private int _inFlight;
    private int _failuresInARow;
    private readonly EndpointCounters _counters;
    private int _errorsInARow;

    internal UpstreamEndpoint(string name, Uri destination, IPEndPoint? pinned, TimeSpan responseTimeout, Func<UpstreamEndpoint, HttpMessageInvoker> newPool,
        EndpointCounters? counters = null)
    {
        _counters = counters ?? new EndpointCounters();
        Name = name;
        Protocol = UpstreamProtocols.Of(destination);
        Destination = UpstreamProtocols.Destination(destination);
        RequestConfig = UpstreamProtocols.RequestConfig(Protocol, responseTimeout);
        Uri = destination;
        Pinned = pinned;
        _newPool = newPool;
        _invoker = newPool(this);
    }

    /// <summary>The endpoint as configured: <c>host:port</c> (what an operator names to drain it).</summary>
    public string Name { get; }

    /// <summary>The destination prefix requests are forwarded to, e.g. <c>http://127.0.0.1:9001/</c> (an h2c:// endpoint is http:// on the wire).</summary>
    public string Destination { get; }

    /// <summary>How the gateway speaks to it, by the scheme it is written with.</summary>
    public UpstreamProtocol Protocol { get; }

    /// <summary>The forwarder's settings for it: its protocol version and the upstream's response timeout.</summary>
    public Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig RequestConfig { get; }

    internal Uri Uri { get; }

    /// <summary>The address this endpoint dials when it stands for one address of a DNS name; null: the name itself.</summary>
    public IPEndPoint? Pinned { get; }

    /// <summary>What it connects to: its pinned address, or its host and port.</summary>
    public string Address => Pinned?.ToString() ?? Name;

    /// <summary>The socket address a raw TCP relay connects to.</summary>
    public EndPoint SocketAddress => Pinned as EndPoint
        ?? (IPAddress.TryParse(Uri.Host.Trim('[', ']'), out var ip) ? new IPEndPoint(ip, Uri.Port) : new DnsEndPoint(Uri.Host, Uri.Port));

    /// <summary>This endpoint's own pool: disposed when it is drained (its connections close), made anew when undrained.</summary>
    public HttpMessageInvoker Invoker => Volatile.Read(ref _invoker);

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Its counters, which an endpoint a reload makes anew for it takes over.</summary>
    internal EndpointCounters Counters => _counters;
    public long Requests => Interlocked.Read(ref _counters.Requests);
    public long Failures => Interlocked.Read(ref _counters.Failures);
    public long ChecksPassed => Interlocked.Read(ref _counters.ChecksPassed);
    public long ChecksFailed => Interlocked.Read(ref _counters.ChecksFailed);
    public HealthCheckResult? LastCheck => Volatile.Read(ref _lastCheck);

    /// <summary>Drains of this endpoint that reached their deadline with requests still in flight.</summary>
    public long DrainsForced => Interlocked.Read(ref _counters.DrainsForced);

    /// <summary>Failures in a row, of requests and checks together: how bad it is when every endpoint is.</summary>
    internal int FailuresInARow => Volatile.Read(ref _failuresInARow);

    internal bool IsInService => Volatile.Read(ref _service) == InService;
    internal bool CheckedHealthy => Volatile.Read(ref _checkedHealthy) == 1;
    internal long EjectedUntil => Interlocked.Read(ref _ejectedUntil);

    /// <summary>Healthy, checked healthy and not ejected: it takes new requests.</summary>
    internal bool InRotation(long now) => IsInService && CheckedHealthy && EjectedUntil <= now;

    public EndpointState StateAt(long now) => Volatile.Read(ref _service) switch
    {
        Draining => EndpointState.Draining,
        Drained => EndpointState.Drained,
        _ when !CheckedHealthy => EndpointState.Unhealthy,
        _ when EjectedUntil > now => EndpointState.Ejected,
        _ => EndpointState.Healthy,
    };

    /// <summary>
    /// Its share of requests, 0.1 … 1: it ramps up linearly over <paramref name="slowStart"/> ticks from the moment it
    /// came back (recovered, undrained, resolved anew, or its passive ejection ended).
    /// </summary>
    internal double Share(long now, long slowStart)
    {
        var from = Math.Max(Interlocked.Read(ref _rampFrom), EjectedUntil);
        if (from == 0 || slowStart <= 0) return 1;
        var elapsed = now - from;
        return elapsed >= slowStart ? 1 : Math.Max(MinimumShare, (double)elapsed / slowStart);
    }

    /// <summary>Even at its start a ramping endpoint gets some requests, so it warms up.</summary>
    internal const double MinimumShare = 0.1;

    /// <summary>
    /// Counts a request on this endpoint, unless a drain began: then it is not taken. (The drain sets its state before
    /// it reads <see cref="InFlight"/>, this counts before it reads the state: one of the two always sees the other.)
    /// </summary>
    internal bool TryEnter()
    {
        Interlocked.Increment(ref _inFlight);
        if (Volatile.Read(ref _service) != InService)
        {
            Leave();
            return false;
        }
        Interlocked.Increment(ref _counters.Requests);
        return true;
    }

    /// <summary>A request leased with <see cref="EndpointSet.Lease"/> is over.</summary>
    public void Leave()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _service) != InService)
            Volatile.Read(ref _idle)?.TrySetResult();
    }

    /// <summary>A request failed on it (no answer). Passive ejection is decided by the caller.</summary>
    internal void Failed()
    {
        Interlocked.Increment(ref _counters.Failures);
        Interlocked.Increment(ref _failuresInARow);
    }

    /// <summary>It answered; <paramref name="serverError"/> for a 5xx. Returns the 5xx answers in a row.</summary>
    internal int Answered(bool serverError)
    {
        if (Volatile.Read(ref _failuresInARow) != 0) Volatile.Write(ref _failuresInARow, 0);
        if (serverError) return Interlocked.Increment(ref _errorsInARow);
        if (Volatile.Read(ref _errorsInARow) != 0) Volatile.Write(ref _errorsInARow, 0);
        return 0;
    }

    /// <summary>Passive health: out of rotation until <paramref name="until"/>; true when this call took it out.</summary>
    internal bool Eject(long now, long until)
    {
        var before = EjectedUntil;
        return before <= now && Interlocked.CompareExchange(ref _ejectedUntil, until, before) == before;
    }

    // ---- written by the UpstreamActor only ----

    /// <summary>Records a health check (whether it changes the checked health is the actor's call).</summary>
    internal void Checked(HealthCheckResult result)
    {
        Volatile.Write(ref _lastCheck, result);
        if (result.Passed)
        {
            Interlocked.Increment(ref _counters.ChecksPassed);
            Volatile.Write(ref _failuresInARow, 0);
        }
        else
        {
            Interlocked.Increment(ref _counters.ChecksFailed);
            Interlocked.Increment(ref _failuresInARow);
        }
    }

    internal void MarkUnhealthy() => Volatile.Write(ref _checkedHealthy, 0);

    /// <summary>Back in rotation after failed checks or a passive ejection, ramping up from <paramref name="now"/>.</summary>
    internal void MarkHealthy(long now)
    {
        Interlocked.Exchange(ref _rampFrom, now);
        Interlocked.Exchange(ref _ejectedUntil, 0);
        Volatile.Write(ref _checkedHealthy, 1);
    }

    /// <summary>Starts ramping up from <paramref name="now"/> (a new address of a DNS name).</summary>
    internal void RampFrom(long now) => Interlocked.Exchange(ref _rampFrom, now);

    /// <summary>No new request; completes when the last one in flight has ended.</summary>
    internal Task BeginDrain()
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _idle, idle);
        Interlocked.Exchange(ref _service, Draining);
        if (InFlight == 0) idle.TrySetResult();
        return idle.Task;
    }

    /// <summary>Nothing in flight any more (or the deadline passed): its pooled connections are closed.</summary>
    internal void CompleteDrain()
    {
        if (InFlight > 0) Interlocked.Increment(ref _counters.DrainsForced);
        Interlocked.Exchange(ref _service, Drained);
        Invoker.Dispose();
    }

    /// <summary>Back in service with a new pool, ramping up from <paramref name="now"/>.</summary>
    internal void Undrain(long now)
    {
        if (Interlocked.Exchange(ref _service, Draining) == Drained)
            Volatile.Write(ref _invoker, _newPool(this));
        Volatile.Write(ref _idle, null);
        Interlocked.Exchange(ref _rampFrom, now);
        Interlocked.Exchange(ref _service, InService);
    }

    /// <summary>True while a drain of this endpoint is under way or done.</summary>
    internal bool IsDrainingOrDrained => !IsInService;

    internal bool IsDrained => Volatile.Read(ref _service) == Drained;

    /// <summary>Closes its pool for good (the upstream is closed).</summary>
    internal void Close() => Invoker.Dispose();

    public override string ToString() => Pinned is null ? Name : $"{Name} ({Pinned})";
}
