using Akka.Actor;
using Akka.Event;
using Gateway.Lifecycle;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Connections;

/// <summary>
/// Owns the lifecycle of one downstream connection; the bytes stay in Kestrel. On <see cref="Drain"/> it asks the
/// connection to close gracefully and waits for it to end; at the deadline it forces it. Its parent is a
/// <see cref="Listeners.ConnectionGroup"/>; it reports to its listener (<see cref="Started"/>, then its last word,
/// <see cref="DrainComplete"/>), from the one sender, so that the listener never hears the end before the start.
/// </summary>
internal sealed class ConnectionActor : UntypedActor
{
    /// <summary>Told the listener first: the actor owns its connection from now on.</summary>
    internal sealed record Started(IConnectionPort Connection)
    {
        public override string ToString() => $"Started({Connection.Id})";
    }

    /// <summary>The connection has ended (told by the connection, <see cref="IConnectionPort.TellWhenEnded"/>).</summary>
    internal sealed record Ended
    {
        public static readonly Ended Instance = new();
        public override string ToString() => "Ended";
    }

    /// <summary>Long-lived streams get their goodbye this long before the deadline, so they end gracefully by it.</summary>
    internal static readonly TimeSpan StreamGoodbyeLead = TimeSpan.FromSeconds(1);

    /// <summary>A close the drain asked for waits for the connection to be idle, and now it is (see <see cref="IConnectionPort.CloseDeferred"/>).</summary>
    private sealed record CloseDeferredIdle
    {
        public static readonly CloseDeferredIdle Instance = new();
        public override string ToString() => "CloseDeferredIdle";
    }

    /// <summary>
    /// A timer's message, new for each start: one that was already on its way when its timer was cancelled or started
    /// again is not the timer's current one, and is ignored (what Akka's timers do with a generation number).
    /// </summary>
    private sealed class Tick(string name)
    {
        public ICancelable? Cancelable { get; set; }
        public override string ToString() => name;
    }

    private readonly IConnectionPort _port;
    private readonly ConnectionActors _shared;
    // Made on first use: most connections never log, and an adapter per actor is a tenth of its memory.
    private ILoggingAdapter? _logger;
    private Drain? _drain;
    // The drain's timers, made when started (an idle connection has none; Akka's IWithTimers made a scheduler and its
    // dictionary for every actor): the streams' goodbye, the quiet period of an idle close, the idle check.
    private Tick? _endStreams;
    private Tick? _quiet;
    private Tick? _idleCheck;
    private bool _finished;

    internal ConnectionActor(ConnectionActors shared)
    {
        _shared = shared;
        _port = shared.Take(Self.Path.Name);
    }

    private IActorRef Owner => _shared.Owner;

    // A switch, not Receive<T> handlers: a ReceiveActor builds its handlers per instance, and there is one per connection.
    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case Announce: _port.GoAway(); break;
            case Drain drain: OnDrain(drain); break;
            case Ended: Finish(DrainOutcome.Completed, new DrainCounts(1, 0, 0)); break;
            case DeadlineReached: OnDeadline(); break;
            case Tick tick: OnTick(tick); break;
            case CloseDeferredIdle: OnCloseDeferredIdle(); break;
            default: Unhandled(message); break;
        }
    }

    private void OnCloseDeferredIdle()
    {
        if (_finished) return;
        var quiet = _drain?.IdleClose.DelayFor(_port.IdleFor, _shared.Random.NextDouble()) ?? TimeSpan.Zero;
        if (quiet > TimeSpan.Zero) _quiet = Start(_quiet, "CloseWhenQuiet", quiet);
        else Close();
    }

    private ILoggingAdapter Log => _logger ??= Context.GetLogger();

    protected override void PreStart()
    {
        Owner.Tell(new Started(_port));
        _port.TellWhenEnded(Self);
    }

    protected override void PostStop()
    {
        Cancel(_endStreams);
        Cancel(_quiet);
        Cancel(_idleCheck);
        // A crashed or stopped actor must not leave its connection unowned: close it rather than leak it.
        if (!_port.HasEnded)
            _port.Abort("connection actor stopped");
        // The listener does not watch its connections (a watch per connection costs two messages more each): an actor
        // that stops without having reported says so here, and counts as crashed.
        if (!_finished)
            Owner.Tell(new DrainComplete(Self.Path.Name, DrainOutcome.Aborted, new DrainCounts(0, 0, 1)));
    }

    /// <summary>(Re)starts a timer: the one running is cancelled, and its message, if already sent, ignored.</summary>
    private Tick Start(Tick? running, string name, TimeSpan delay)
    {
        Cancel(running);
        var tick = new Tick(name);
        tick.Cancelable = Context.System.Scheduler.ScheduleTellOnceCancelable(delay, Self, tick, Self);
        return tick;
    }

    private static void Cancel(Tick? timer) => timer?.Cancelable?.Cancel();

    private void OnTick(Tick tick)
    {
        if (tick == _endStreams)
        {
            _endStreams = null;
            _port.EndStreams();
        }
        else if (tick == _quiet)
        {
            _quiet = null;
            Close();
        }
        else if (tick == _idleCheck)
        {
            _idleCheck = null;
            CheckIdle();
        }
    }

    private void OnDrain(Drain drain)
    {
        var first = _drain is null;
        _drain = first ? drain : _drain!.Earliest(drain);
        var remaining = _drain.Remaining(Context.System.Scheduler);
        // A request in flight may still turn into a stream: an event stream is known by its response.
        if (_port.Streams > 0 || _port.InFlight > 0)
            _endStreams = Start(_endStreams, "EndStreams", remaining > StreamGoodbyeLead ? remaining - StreamGoodbyeLead : TimeSpan.Zero);
        if (first)
        {
            var delay = _port.InFlight == 0 && _port.Streams == 0
                ? _drain.IdleClose.DelayFor(_port.IdleFor, _shared.Random.NextDouble())
                : TimeSpan.Zero;
            if (delay > TimeSpan.Zero && delay < remaining) _quiet = Start(_quiet, "CloseWhenQuiet", delay);
            else Close();
            CheckIdle();
        }
        else if (_quiet is not null)
        {
            // A second drain is a hurry: the quiet period and the spread give way.
            Cancel(_quiet);
            _quiet = null;
            Close();
        }
        // The deadline itself comes from the listener, one timer for all its connections; one already past is now
        // (after the close above, so that a connection it ended at once counts as completed, not forced).
        if (remaining <= TimeSpan.Zero) Self.Tell(DeadlineReached.Instance);
    }

    /// <summary>
    /// The graceful close; when the port must wait for the connection to be idle first (a response was under way that
    /// could no longer say <c>Connection: close</c>), it is asked again once the connection is idle and quiet.
    /// </summary>
    private void Close()
    {
        _port.RequestClose();
        if (_port.CloseDeferred is not { } deferred) return;
        var self = Self;
        deferred.ContinueWith(_ => self.Tell(CloseDeferredIdle.Instance), TaskContinuationOptions.ExecuteSynchronously);
    }

    /// <summary>During a drain, a connection that cannot be told to go away is closed once idle for its timeout.</summary>
    private void CheckIdle()
    {
        if (_port is not IIdleClosable { IdleTimeout: { } timeout } idle) return;
        var left = timeout - _port.IdleFor;
        if (left > TimeSpan.Zero)
        {
            _idleCheck = Start(_idleCheck, "IdleCheck", left);
            return;
        }
        Log.Info("Drain: closing connection {0} on listener {1}: idle for {2:0.0}s", _port.Id, _shared.Listener, _port.IdleFor.TotalSeconds);
        idle.CloseIdle();
    }

    private void OnDeadline()
    {
        // A connection accepted after a drain was taken back never drained: an old drain's deadline is not its own.
        if (_finished || _drain is null) return;
        Log.Warning("Drain deadline: forcing connection {0} from {1} on listener {2} with {3} request(s) in flight ({4})",
            _port.Id, _port.Remote, _shared.Listener, _port.InFlight, _port);
        // A stream that opened after the drain started may not have had its goodbye yet: it gets it before the abort.
        if (_port.Streams > 0) _port.EndStreams();
        _port.Abort("drain deadline reached");
        Finish(DrainOutcome.DeadlineExceeded, new DrainCounts(0, 1, 0));
    }

    private void Finish(DrainOutcome outcome, DrainCounts counts)
    {
        if (_finished) return;
        _finished = true;
        // Reported even when not draining, so the listener can tell an ended connection from a crashed actor.
        Owner.Tell(new DrainComplete(Self.Path.Name, outcome, counts));
        Context.Stop(Self);
    }
}
