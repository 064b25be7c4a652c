using System.Net;
using Akka.Actor;
using Akka.Event;
using Gateway.Lifecycle;
using static Gateway.Lifecycle.DrainProtocol;
using static Gateway.Upstreams.EndpointProtocol;

namespace Gateway.Upstreams;

/// <summary>
/// Owns one upstream's pools and the state of each of its endpoints. It drains after the listeners: it waits until
/// no request is being forwarded, then closes the pools; at the deadline it closes them regardless. While it serves,
/// it runs the active health checks, applies the endpoint drains in force (an endpoint drain is the gateway's drain
/// applied to one backend: out of rotation, in-flight finishes, pool closed) and follows DNS names. Requests never
/// message it: they read the states it writes.
/// </summary>
internal sealed partial class UpstreamActor : ReceiveActor, IWithTimers
{
    private sealed record Idle
    {
        public static readonly Idle Instance = new();
    }

    /// <summary>What the actor remembers of one endpoint between messages.</summary>
    private sealed class Tracked
    {
        public int PassedInARow;
        public int FailedInARow;
        public long EjectionSeen;
        public int PassedSinceEjection;
        public bool Checking;
        public long Drain;
        public bool Retiring;
    }

    private readonly IUpstreamPort _port;
    private readonly EndpointSet? _endpoints;
    private readonly UpstreamHandle? _handle;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _requesters = [];
    private readonly Dictionary<UpstreamEndpoint, Tracked> _tracked = [];
    private HealthChecker? _checker;
    private Drain? _drain;
    private bool _dnsFailing;

    public UpstreamActor(IUpstreamPort port)
    {
        _port = port;
        _endpoints = port.Endpoints;
        _handle = port as UpstreamHandle;
        Receive<Drain>(OnDrain);
        Receive<Idle>(_ => Finish(DrainOutcome.Completed, DrainCounts.None));
        Receive<DeadlineReached>(_ =>
        {
            _log.Warning("Upstream {0}: closing the pool with {1} request(s) still in flight at the deadline", _port.Name, _port.InFlight);
            Finish(DrainOutcome.DeadlineExceeded, DrainCounts.None);
        });
        Receive<DrainsChanged>(_ => ApplyDrains());
        Receive<Sync>(_ => Sender.Tell(Synced.Instance));
        Receive<CheckDue>(_ => StartChecks());
        Receive<CheckDone>(OnChecked);
        Receive<EndpointIdle>(idle => EndDrain(idle.Endpoint, idle.Drain, forced: false));
        Receive<EndpointDeadline>(deadline => EndDrain(deadline.Endpoint, deadline.Drain, forced: true));
        Receive<ResolveDue>(_ => StartResolving());
        Receive<Resolved>(OnResolved);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IUpstreamPort port) => Akka.Actor.Props.Create(() => new UpstreamActor(port));

    private string Name => _port.Name;

    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    protected override void PreStart()
    {
        _port.Attach(Self);
        if (_endpoints is null) return;
        foreach (var endpoint in _endpoints.All) _tracked[endpoint] = new Tracked();
        _handle?.Drains?.Subscribe(Self);
        ApplyDrains();
        if (_handle?.Settings is { HealthCheck: { } check } settings)
        {
            _checker = new HealthChecker(check, _handle, _endpoints.Time);
            Timers.StartPeriodicTimer(CheckDue.Instance, CheckDue.Instance, TimeSpan.Zero, check.Interval);
        }
        if (_handle is { Settings.DnsRefresh: var refresh } && refresh > TimeSpan.Zero && _handle.Settings.Endpoints.Any(UpstreamHandle.IsDnsName))
            Timers.StartPeriodicTimer(ResolveDue.Instance, ResolveDue.Instance, TimeSpan.Zero, refresh);
    }

    protected override void PostStop()
    {
        _handle?.Drains?.Unsubscribe(Self);
        _checker?.Dispose();
    }

    private void OnDrain(Drain drain)
    {
        var first = _drain is null;
        _drain = first ? drain : _drain!.Earliest(drain);
        if (!_requesters.Contains(Sender)) _requesters.Add(Sender);
        Timers.StartSingleTimer(DeadlineReached.Instance, DeadlineReached.Instance, _drain.Remaining(Context.System.Scheduler));
        if (first)
        {
            var self = Self;
            _port.WhenIdle().ContinueWith(_ => self.Tell(Idle.Instance), TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    private void Finish(DrainOutcome outcome, DrainCounts counts)
    {
        _port.Close();
        foreach (var requester in _requesters)
            requester.Tell(new DrainComplete(Self.Path.Name, outcome, counts));
        Context.Stop(Self);
    }
}
