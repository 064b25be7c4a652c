using Akka.Actor;
using Akka.Event;
using Gateway.Connections;
using Gateway.Listeners;
using Gateway.Upstreams;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Lifecycle;

/// <summary>
/// The root of the gateway tree: one <see cref="ListenerActor"/> per listener and one <see cref="UpstreamActor"/> per
/// upstream. A drain goes to the listeners first; once every listener has stopped (so no request is in flight), to
/// the upstreams; then this actor reports <see cref="DrainComplete"/> and stops, last.
/// </summary>
internal partial class GatewaySupervisor : ReceiveActor, IWithTimers
{
    /// <summary>The conventional name of the supervisor under /user.</summary>
    public const string Name = "gateway";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Dictionary<IUpstreamPort, IActorRef> _upstreamByPort = [];
    private int _incarnation;
    private readonly Dictionary<string, IActorRef> _listenerByName = [];
    private readonly DrainTracker _listeners = new();
    private readonly DrainTracker _upstreams = new();
    private readonly ListenerRound _unbind = new();
    private readonly ListenerRound _resume = new();
    private readonly HashSet<IActorRef> _drainedListeners = [];
    private DrainOutcome _upstreamOutcome = DrainOutcome.Completed;
    private bool _overdue;
    private bool _reportedResumable;

    private readonly Random _random;

    public GatewaySupervisor(IReadOnlyList<IListenerPort> listeners, IReadOnlyList<IUpstreamPort> upstreams, Random random)
    {
        _random = random;
        foreach (var port in listeners) StartListener(port);
        foreach (var port in upstreams) StartUpstream(port);

        Receive<ConnectionAccepted>(OnConnectionAccepted);
        Receive<AddListener>(add => StartListener(add.Port));
        Receive<RetireListener>(retire =>
        {
            if (!_listenerByName.Remove(retire.Name, out var listener)) return;
            _log.Info("Listener {0} removed by a reload: it drains", retire.Name);
            listener.Tell(retire.Drain);
        });
        Receive<AddUpstream>(add => StartUpstream(add.Port));
        Receive<RetireUpstream>(retire =>
        {
            if (!_upstreamByPort.Remove(retire.Port, out var upstream)) return;
            _log.Info("Upstream {0} replaced or removed by a reload: its pool closes when idle", retire.Port.Name);
            upstream.Tell(retire.Drain);
        });
        Receive<Announce>(a =>
        {
            _log.Debug("Drain announced ({0}): connections are told to go away; listeners keep accepting", a.Reason);
            _listeners.StartCounting();
            foreach (var listener in _listeners.Alive) listener.Tell(a);
        });
        Receive<Resume>(OnResume);
        Receive<Resumed>(r => ResumeDone(Sender, r.Failures));
        Receive<ToListener>(OnToListener);
        Receive<StopAccepting>(OnStopAccepting);
        Receive<TreeProtocol.GetTree>(_ => DescribeTo(Sender));
        Receive<AcceptingStopped>(_ => UnbindDone(Sender));
        Receive<Drain>(OnDrain);
        Receive<DrainComplete>(c =>
        {
            if (_listeners.Alive.Contains(Sender))
            {
                _listeners.Reported(Sender, c.Counts);
                // A listener an operator's drain left drained stays, to be resumed; one a reload removed goes.
                if (_listeners.Current is { Resumable: true } && _listenerByName.ContainsValue(Sender))
                {
                    Advance();
                    return;
                }
                // A drained listener waits for this: connections forwarded to it before now are closed there.
                _drainedListeners.Add(Sender);
                Sender.Tell(PoisonPill.Instance);
            }
            else
            {
                _upstreams.Reported(Sender, c.Counts);
                if (_upstreams.Draining && c.Outcome > _upstreamOutcome) _upstreamOutcome = c.Outcome;
            }
        });
        Receive<Terminated>(t =>
        {
            UnbindDone(t.ActorRef);
            ResumeDone(t.ActorRef, []);
            _listeners.Terminated(t.ActorRef);
            _upstreams.Terminated(t.ActorRef);
            Advance();
        });
        Receive<DeadlineReached>(_ =>
        {
            _log.Warning("Gateway drain: {0} listener(s) and {1} upstream(s) still open after the deadline; stopping them",
                _listeners.Alive.Count, _upstreams.Alive.Count);
            _overdue = true;
            Complete();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>
    /// The Props shared by production and simulations: nothing here knows which world it is in. <paramref name="random"/>
    /// spreads the closes of idle connections (default <see cref="Random.Shared"/>; a simulation passes its own, which
    /// must be safe to share between the connection actors unless they run on one thread).
    /// </summary>
    public static Props Props(IReadOnlyList<IListenerPort> listeners, IReadOnlyList<IUpstreamPort> upstreams, Random? random = null) =>
        Akka.Actor.Props.Create(() => new GatewaySupervisor(listeners, upstreams, random ?? Random.Shared));

    /// <summary>A failing listener or upstream keeps its state, its connections and its pool.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Resume);

    /// <summary>Names stay unique while a replaced child of the same name still drains.</summary>
    private string ChildName(string prefix, string name) =>
        Context.Child(prefix + name).IsNobody() ? prefix + name : $"{prefix}{name}-{++_incarnation}";

    private void StartListener(IListenerPort port)
    {
        var child = Context.Watch(Context.ActorOf(ListenerActor.Props(port, _random), ChildName("listener-", port.Name)));
        _listenerByName[port.Name] = child;
        _listeners.Add(child);
        if (_listeners.Current is { } drain) child.Tell(drain);
    }

    private void StartUpstream(IUpstreamPort port)
    {
        var child = Context.Watch(Context.ActorOf(UpstreamActor.Props(port), ChildName("upstream-", port.Name)));
        _upstreamByPort[port] = child;
        _upstreams.Add(child);
        if (_upstreams.Current is { } drain) child.Tell(drain);
    }

    private void DescribeTo(IActorRef requester)
    {
        var upstreams = _upstreamByPort.Select(u => new TreeProtocol.TreeNode(u.Value.Path.Name, "upstream", u.Key.InFlight, [])).ToList();
        var name = Self.Path.Name;
        Task.WhenAll(_listeners.Alive.Select(l => l.Ask<TreeProtocol.TreeNode>(TreeProtocol.GetTree.Instance, TimeSpan.FromSeconds(2))))
            .ContinueWith(t => t.IsCompletedSuccessfully
                ? new TreeProtocol.TreeNode(name, "gateway", t.Result.Sum(l => l.InFlight), [.. t.Result, .. upstreams])
                : new TreeProtocol.TreeNode(name, "gateway", 0, upstreams), TaskScheduler.Default)
            .PipeTo(requester);
    }

    private void OnConnectionAccepted(ConnectionAccepted accepted)
    {
        if (_listenerByName.TryGetValue(accepted.Listener, out var listener) && _listeners.Alive.Contains(listener)
            && !_drainedListeners.Contains(listener))
            listener.Tell(new ListenerActor.ConnectionOpened(accepted.Connection));
        else
            accepted.Connection.Abort("listener is gone");
    }

    private void OnDrain(Drain drain)
    {
        var first = !_listeners.Draining;
        var current = _listeners.Begin(drain, Sender);
        if (!current.Resumable) _reportedResumable = false;
        if (first)
            _log.Debug("Drain of the tree ({0}): {1} listener(s), deadline in {2:0.###}s", current.Reason,
                _listeners.Alive.Count, current.Remaining(Context.System.Scheduler).TotalSeconds);
        foreach (var listener in _listeners.Alive) listener.Tell(current);
        if (_upstreams.Draining)
            foreach (var upstream in _upstreams.Alive) upstream.Tell(current);
        Timers.StartSingleTimer(DeadlineReached.Instance, DeadlineReached.Instance,
            current.Remaining(Context.System.Scheduler) + ListenerActor.DeadlineGrace + ListenerActor.DeadlineGrace);
        Advance();
    }

    /// <summary>Listeners first; upstreams once no listener (and so no request) is left; then this node.</summary>
    private void Advance()
    {
        if (!_listeners.Draining) return;
        if (_listeners.Current!.Resumable)
        {
            // An operator's drain: the listeners stay, drained, and so do the upstream pools; this node answers once.
            if (!_reportedResumable && _listeners.AllReported) Complete();
            return;
        }
        if (_listeners.Alive.Count > 0) return;
        if (!_upstreams.Draining)
        {
            _upstreams.Begin(_listeners.Current!, ActorRefs.Nobody);
            foreach (var upstream in _upstreams.Alive) upstream.Tell(_listeners.Current!);
        }
        if (_upstreams.Alive.Count == 0)
            Complete();
    }

    private void Complete()
    {
        var counts = _listeners.Counts;
        // The worst of: what the connections went through, an upstream closed with work in flight, the gateway's own
        // deadline passing with listeners still open (their connections are then stopped unreported).
        var outcome = new[] { counts.Outcome, _upstreamOutcome, _overdue ? DrainOutcome.DeadlineExceeded : DrainOutcome.Completed }.Max();
        _log.Info("Gateway drained: {0} ({1})", outcome, counts);
        _listeners.Reply(new DrainComplete(Self.Path.Name, outcome, counts));
        if (_listeners.Current is { Resumable: true })
        {
            _reportedResumable = true;
            Timers.Cancel(DeadlineReached.Instance);
            return;
        }
        Context.Stop(Self);
    }

    private void OnToListener(ToListener message)
    {
        if (_listenerByName.TryGetValue(message.Name, out var listener))
        {
            listener.Forward(message.Message);
            return;
        }
        // Gone (removed by a reload): answer what the driver waits for, so that nothing hangs on it.
        object? answer = message.Message switch
        {
            StopAccepting => new AcceptingStopped(message.Name),
            Drain => new DrainComplete(message.Name, DrainOutcome.Completed, DrainCounts.None),
            Resume => new Resumed(message.Name, [$"listener {message.Name} no longer exists"]),
            _ => null,
        };
        if (answer is not null) Sender.Tell(answer);
    }
}
