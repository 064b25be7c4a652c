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
internal sealed class UpstreamActor : ReceiveActor, IWithTimers
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

    // ---- endpoint drains ----

    /// <summary>Drains the endpoints an operator named (and their addresses), undrains the others.</summary>
    private void ApplyDrains()
    {
        if (_endpoints is null || _handle?.Drains is not { } drains) return;
        var drained = drains.Of(Name);
        foreach (var endpoint in _endpoints.All)
        {
            var tracked = _tracked[endpoint];
            if (tracked.Retiring) continue;
            var wanted = drained.Any(name => EndpointSet.Matches(endpoint, name));
            if (wanted && endpoint.IsInService) BeginDrain(endpoint, tracked, drains.Deadline, "drained by an operator");
            else if (!wanted && endpoint.IsDrainingOrDrained)
            {
                Timers.Cancel(endpoint);
                tracked.Drain++;
                endpoint.Undrain(_endpoints.Now);
                _log.Info("Upstream {0}: endpoint {1} undrained: back in rotation{2}", Name, endpoint, SlowStartNote());
            }
        }
    }

    private void BeginDrain(UpstreamEndpoint endpoint, Tracked tracked, TimeSpan deadline, string why)
    {
        var drain = ++tracked.Drain;
        var self = Self;
        _log.Info("Upstream {0}: endpoint {1} draining ({2}): {3} request(s) in flight finish, no new one", Name, endpoint, why, endpoint.InFlight);
        endpoint.BeginDrain().ContinueWith(_ => self.Tell(new EndpointIdle(endpoint, drain)), TaskContinuationOptions.ExecuteSynchronously);
        Timers.StartSingleTimer(endpoint, new EndpointDeadline(endpoint, drain), deadline);
    }

    private void EndDrain(UpstreamEndpoint endpoint, long drain, bool forced)
    {
        if (!_tracked.TryGetValue(endpoint, out var tracked) || tracked.Drain != drain || endpoint.IsInService || endpoint.IsDrained) return;
        Timers.Cancel(endpoint);
        if (forced)
            _log.Warning("Upstream {0}: endpoint {1} drained at its deadline with {2} request(s) still in flight: its pool is closed", Name, endpoint, endpoint.InFlight);
        else
            _log.Info("Upstream {0}: endpoint {1} drained: nothing in flight, its pooled connections closed", Name, endpoint);
        endpoint.CompleteDrain();
        if (tracked.Retiring) Remove(endpoint);
    }

    // ---- active health checks ----

    private void StartChecks()
    {
        if (_checker is not { } checker) return;
        var self = Self;
        foreach (var (endpoint, tracked) in _tracked)
        {
            if (tracked.Checking || tracked.Retiring) continue;
            tracked.Checking = true;
            checker.CheckAsync(endpoint).ContinueWith(t => self.Tell(new CheckDone(endpoint, t.Result)), TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    private void OnChecked(CheckDone done)
    {
        if (!_tracked.TryGetValue(done.Endpoint, out var tracked)) return;
        var endpoint = done.Endpoint;
        var check = _handle!.Settings.HealthCheck!;
        tracked.Checking = false;
        endpoint.Checked(done.Result);
        var now = _endpoints!.Now;
        if (endpoint.EjectedUntil != tracked.EjectionSeen)
        {
            tracked.EjectionSeen = endpoint.EjectedUntil;
            tracked.PassedSinceEjection = 0;
        }
        if (done.Result.Passed)
        {
            tracked.FailedInARow = 0;
            tracked.PassedInARow++;
            tracked.PassedSinceEjection++;
            if (!endpoint.CheckedHealthy && tracked.PassedInARow >= check.HealthyAfter)
            {
                endpoint.MarkHealthy(now);
                _log.Info("Upstream {0}: endpoint {1} passed {2} check(s) in a row: back in rotation{3}", Name, endpoint, tracked.PassedInARow, SlowStartNote());
            }
            // Passive health took it out; checks that pass since then bring it back before its ejection ends.
            else if (endpoint.EjectedUntil > now && tracked.PassedSinceEjection >= check.HealthyAfter)
            {
                endpoint.MarkHealthy(now);
                tracked.EjectionSeen = 0;
                _log.Info("Upstream {0}: endpoint {1} ejected, but passed {2} check(s) since: back in rotation{3}", Name, endpoint, tracked.PassedSinceEjection, SlowStartNote());
            }
        }
        else
        {
            tracked.PassedInARow = 0;
            tracked.FailedInARow++;
            if (endpoint.CheckedHealthy && tracked.FailedInARow >= check.UnhealthyAfter)
            {
                endpoint.MarkUnhealthy();
                _log.Warning("Upstream {0}: endpoint {1} failed {2} check(s) in a row ({3}): out of rotation, its {4} request(s) in flight finish",
                    Name, endpoint, tracked.FailedInARow, done.Result.Detail, endpoint.InFlight);
            }
        }
    }

    private string SlowStartNote() => _handle?.Settings.SlowStart is { } slow && slow > TimeSpan.Zero
        ? $", its share ramping up over {slow.TotalSeconds:0.###}s"
        : "";

    // ---- DNS names ----

    private void StartResolving()
    {
        var self = Self;
        foreach (var source in _handle!.Settings.Endpoints.Where(UpstreamHandle.IsDnsName).Distinct())
        {
            Dns.GetHostAddressesAsync(source.DnsSafeHost).WaitAsync(ResolveTimeout).ContinueWith(t => self.Tell(t.IsCompletedSuccessfully && t.Result.Length > 0
                    ? new Resolved(source, t.Result.Distinct().OrderBy(a => a.ToString(), StringComparer.Ordinal).ToList(), null)
                    : new Resolved(source, null, t.Exception?.GetBaseException().Message ?? "no address")),
                TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    /// <summary>
    /// One endpoint per address of the name: new addresses join with a slow start, vanished ones are drained and then
    /// dropped; until the name resolves once, the name itself is the endpoint. A failed lookup keeps what there is.
    /// </summary>
    private void OnResolved(Resolved resolved)
    {
        var endpoints = _endpoints!;
        var current = endpoints.All.Where(e => e.Uri == resolved.Source && !_tracked[e].Retiring).ToList();
        if (resolved.Addresses is not { } addresses)
        {
            if (!_dnsFailing) _log.Warning("Upstream {0}: {1} could not be resolved ({2}); its {3} address(es) stay", Name, resolved.Source.Authority, resolved.Error, current.Count);
            _dnsFailing = true;
            return;
        }
        _dnsFailing = false;
        var port = resolved.Source.Port;
        var wanted = addresses.Select(a => new IPEndPoint(a, port)).ToList();
        var first = current.All(e => e.Pinned is null);
        var added = wanted.Where(w => current.All(e => !w.Equals(e.Pinned)))
            .Select(w => _handle!.NewEndpoint(resolved.Source, w)).ToList();
        var gone = current.Where(e => e.Pinned is null || !wanted.Contains(e.Pinned)).ToList();
        if (added.Count == 0 && gone.Count == 0) return;
        var now = endpoints.Now;
        foreach (var endpoint in added)
        {
            // The first resolution replaces the name that served until now: no slow start for that.
            if (!first) endpoint.RampFrom(now);
            _tracked[endpoint] = new Tracked();
        }
        endpoints.Replace([.. endpoints.All, .. added]);
        _log.Info("Upstream {0}: {1} resolves to [{2}]{3}{4}", Name, resolved.Source.Authority, string.Join(", ", wanted),
            added.Count == 0 ? "" : $"; added {string.Join(", ", added.Select(a => a.Address))}",
            gone.Count == 0 ? "" : $"; draining {string.Join(", ", gone.Select(g => g.Address))}");
        foreach (var endpoint in gone)
        {
            var tracked = _tracked[endpoint];
            tracked.Retiring = true;
            if (endpoint.IsDrained) Remove(endpoint);
            else if (endpoint.IsInService) BeginDrain(endpoint, tracked, _handle!.Drains?.Deadline ?? TimeSpan.FromSeconds(30), "its address left the DNS answer");
        }
        ApplyDrains();
    }

    private void Remove(UpstreamEndpoint endpoint)
    {
        _tracked.Remove(endpoint);
        _endpoints!.Replace(_endpoints.All.Where(e => e != endpoint).ToArray());
    }
}
