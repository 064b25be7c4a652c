using Akka.Actor;
using Akka.Event;
using Gateway.Connections;
using Gateway.Lifecycle;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Listeners;

/// <summary>
/// Owns one listener: its accept state and a <see cref="ConnectionActor"/> per accepted connection (their parents are
/// <see cref="ConnectionGroup"/>s; their drain is the listener's). On
/// <see cref="Drain"/> it stops accepting, drains every connection, and reports once the last one has stopped; then it
/// waits, to be stopped by its parent or, when the drain may be taken back, resumed (<see cref="Resume"/>).
/// </summary>
internal sealed partial class ListenerActor : ReceiveActor, IWithTimers
{
    /// <summary>After the deadline, how long children get to report before they count as forced.</summary>
    internal static readonly TimeSpan DeadlineGrace = TimeSpan.FromSeconds(1);

    /// <summary>At most this many connection actors share a parent (<see cref="ConnectionGroup"/>).</summary>
    internal const int ConnectionsPerGroup = 128;

    private readonly IListenerPort _port;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly DrainTracker _drain = new();
    private readonly List<IActorRef> _unbindRequesters = [];
    private readonly List<IActorRef> _resumeRequesters = [];
    private readonly Dictionary<IActorRef, IConnectionPort> _connections = [];
    private readonly ConnectionGroups _groups;
    private long _spawned;
    private long _started;
    private Announce? _announce;
    private bool _unbinding;
    private bool _unbound;
    private bool _reopening;
    private bool _completed;
    private bool _settled;
    private bool _leaving;

    public ListenerActor(IListenerPort port, Random random)
    {
        _port = port;
        var connections = new ConnectionActors(port.Name, random, Self, Context.System);
        _groups = new ConnectionGroups(Context, () => ConnectionGroup.Props(connections));
        Serving();
    }

    /// <summary>Accepting (or stopping, or draining): the listener's working life.</summary>
    private void Serving()
    {
        Receive<ConnectionOpened>(OnConnectionOpened);
        Receive<ConnectionActor.Started>(OnConnectionStarted);
        Receive<Terminated>(t => _groups.Stopped(t.ActorRef));
        Receive<Announce>(a =>
        {
            CancelResume("a drain began meanwhile");
            _announce = a;
            _drain.StartCounting();
            _port.GoAway();
            foreach (var child in _drain.Alive) child.Tell(a);
        });
        Receive<Resume>(_ => OnResume());
        Receive<StopAccepting>(_ =>
        {
            _unbindRequesters.Add(Sender);
            BeginUnbind();
        });
        Receive<Unbound>(OnUnbound);
        Receive<Settled>(_ =>
        {
            _settled = true;
            TryComplete();
        });
        Receive<Reopened>(OnReopened);
        Receive<Drain>(OnDrain);
        // A connection's report is its last word (it stops right after, or reports from PostStop if it crashed).
        Receive<DrainComplete>(c =>
        {
            Left(Sender, c.Counts);
            TryComplete();
        });
        Receive<TreeProtocol.GetTree>(_ => Sender.Tell(Describe()));
        Receive<ConnectionsDeadline>(_ =>
        {
            // Connections accepted after a drain was taken back are not draining: they ignore it.
            foreach (var child in _drain.Alive) child.Tell(DeadlineReached.Instance);
        });
        Receive<DeadlineReached>(_ =>
        {
            _log.Warning("Listener {0}: {1} connection(s) did not report by the deadline; stopping them", _port.Name, _drain.Alive.Count);
            _drain.ForceRemaining();
            Complete();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IListenerPort port, Random random) => Akka.Actor.Props.Create(() => new ListenerActor(port, random));

    /// <summary>A failing connection actor stops (its PostStop closes that one connection); the others go on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    private void OnConnectionOpened(ConnectionOpened opened)
    {
        _spawned++;
        _groups.Next().Tell(new ConnectionGroup.Spawn(opened.Connection));
    }

    private void OnConnectionStarted(ConnectionActor.Started started)
    {
        _started++;
        var child = Sender;
        _drain.Add(child);
        _connections[child] = started.Connection;
        // Accepted while the accept loop was stopping: it is served once, then closed like the others.
        if (_announce is not null) child.Tell(_announce);
        if (_drain.Current is { } drain) child.Tell(drain);
        TryComplete();
    }

    private void BeginUnbind()
    {
        if (_unbound)
        {
            ReplyUnbound();
            return;
        }
        if (_unbinding) return;
        _unbinding = true;
        var self = Self;
        _port.StopAcceptingAsync().ContinueWith(t => self.Tell(new Unbound(t.Exception?.GetBaseException())),
            TaskContinuationOptions.ExecuteSynchronously);
    }

    private void OnUnbound(Unbound unbound)
    {
        if (unbound.Error is not null)
            _log.Error(unbound.Error, "Listener {0}: stopping the accept loop failed", _port.Name);
        else
            _log.Info("Listener {0} stopped accepting; {1} connection(s) open", _port.Name, _drain.Alive.Count);
        _unbound = true;
        _settled = _port.SilentSettled.IsCompleted;
        if (!_settled)
        {
            var self = Self;
            _port.SilentSettled.ContinueWith(_ => self.Tell(Settled.Instance), TaskContinuationOptions.ExecuteSynchronously);
        }
        ReplyUnbound();
        // Taken back while it was stopping: it accepts again now that it has stopped.
        if (_resumeRequesters.Count > 0) Reopen();
        else if (_drain.Draining) TryComplete();
    }

    private void ReplyUnbound()
    {
        foreach (var requester in _unbindRequesters) requester.Tell(new AcceptingStopped(Self.Path.Name));
        _unbindRequesters.Clear();
    }

    private void OnDrain(Drain drain)
    {
        CancelResume("a drain began meanwhile");
        var current = _drain.Begin(drain, Sender);
        if (!current.Resumable) _leaving = true;
        BeginUnbind();
        foreach (var child in _drain.Alive) child.Tell(current);
        var remaining = current.Remaining(Context.System.Scheduler);
        Timers.StartSingleTimer(ConnectionsDeadline.Instance, ConnectionsDeadline.Instance, remaining);
        Timers.StartSingleTimer(DeadlineReached.Instance, DeadlineReached.Instance, remaining + DeadlineGrace);
        TryComplete();
    }

    private void TryComplete()
    {
        // A connection accepted before the unbind may still be on its way through the supervisor, or its group.
        if (_drain.Draining && !_completed && _unbound && _settled && _resumeRequesters.Count == 0 && _drain.Alive.Count == 0
            && _started >= _spawned && _started >= _port.ConnectionsRegistered)
            Complete();
    }

    /// <summary>
    /// Reports and waits: for the parent to stop it (a drain that leads to exit; a connection the parent forwarded
    /// before it saw the report still arrives here, messages between two actors keeping their order, and is closed,
    /// not lost in dead letters), or to be resumed.
    /// </summary>
    private void Complete()
    {
        _completed = true;
        var counts = _drain.Counts;
        _log.Info("Listener {0} drained: {1}", _port.Name, counts);
        _drain.Reply(new DrainComplete(Self.Path.Name, counts.Outcome, counts));
        Timers.CancelAll();
        Become(Drained);
    }

    private void Drained()
    {
        Receive<ConnectionOpened>(opened => opened.Connection.Abort("listener has drained"));
        Receive<ConnectionActor.Started>(started =>
        {
            _started++;
            started.Connection.Abort("listener has drained");
        });
        Receive<Terminated>(t => _groups.Stopped(t.ActorRef));
        // A connection forced at the deadline has its last word after the listener reported: it is gone all the same
        // (from the tree, and from what a drain after a resume waits for).
        Receive<DrainComplete>(c => Left(Sender, c.Counts));
        Receive<Drain>(drain =>
        {
            if (!drain.Resumable) _leaving = true;
            _drain.Begin(drain, Sender);
            Sender.Tell(new DrainComplete(Self.Path.Name, _drain.Counts.Outcome, _drain.Counts));
        });
        Receive<StopAccepting>(_ =>
        {
            // Forced done at its deadline while its accept loop was still stopping: it says so once it has stopped.
            _unbindRequesters.Add(Sender);
            if (_unbound) ReplyUnbound();
        });
        Receive<Unbound>(OnUnbound);
        Receive<Resume>(_ => OnResume());
        Receive<Reopened>(OnReopened);
        Receive<TreeProtocol.GetTree>(_ => Sender.Tell(Describe()));
        ReceiveAny(_ => { });
    }

    private void Left(IActorRef connection, DrainCounts counts)
    {
        _groups.Left(connection);
        _connections.Remove(connection);
        _drain.Gone(connection, counts);
    }

    private TreeProtocol.TreeNode Describe() => new(Self.Path.Name, "listener", _connections.Values.Sum(c => c.InFlight),
        _connections.Select(c => new TreeProtocol.TreeNode(c.Key.Path.Name, "connection", c.Value.InFlight, [])).ToList());
}
