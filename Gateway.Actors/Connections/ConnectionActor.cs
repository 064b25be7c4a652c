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

    /// <summary>
    /// What a connection holds once its drain has begun, and not before: the drain and its timers (the streams'
    /// goodbye, the quiet period of an idle close, the idle check). Akka's IWithTimers made a scheduler and its
    /// dictionary for every actor; an idle connection has no timer at all.
    /// </summary>
    private sealed class Draining(Drain drain)
    {
        public Drain Drain { get; set; } = drain;
        public Tick? EndStreams { get; set; }
        public Tick? Quiet { get; set; }
        public Tick? IdleCheck { get; set; }
    }

    private readonly IConnectionPort _port;
    private readonly ConnectionActors _shared;
    // Made on first use: most connections never log, and an adapter per actor is a tenth of its memory.
    private ILoggingAdapter? _logger;
    private Draining? _draining;
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
        if (_finished || _draining is not { } draining) return;
        var quiet = draining.Drain.IdleClose.DelayFor(_port.IdleFor, _shared.Random.NextDouble());
        if (quiet > TimeSpan.Zero) draining.Quiet = Start(draining.Quiet, "CloseWhenQuiet", quiet);
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
        if (_draining is { } draining)
        {
            Cancel(draining.EndStreams);
            Cancel(draining.Quiet);
            Cancel(draining.IdleCheck);
        }
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
        if (_draining is not { } draining) return;
        if (tick == draining.EndStreams)
        {
            draining.EndStreams = null;
            _port.EndStreams();
        }
        else if (tick == draining.Quiet)
        {
            draining.Quiet = null;
            Close();
        }
        else if (tick == draining.IdleCheck)
        {
            draining.IdleCheck = null;
            CheckIdle(draining);
        }
    }

    private void OnDrain(Drain drain)
    {
        var first = _draining is null;
        var draining = _draining ??= new Draining(drain);
        if (!first) draining.Drain = draining.Drain.Earliest(drain);
        var remaining = draining.Drain.Remaining(Context.System.Scheduler);
        // A request in flight may still turn into a stream: an event stream is known by its response.
        if (_port.Streams > 0 || _port.InFlight > 0)
            draining.EndStreams = Start(draining.EndStreams, "EndStreams", remaining > StreamGoodbyeLead ? remaining - StreamGoodbyeLead : TimeSpan.Zero);
        if (first)
        {
            var delay = _port.InFlight == 0 && _port.Streams == 0
                ? draining.Drain.IdleClose.DelayFor(_port.IdleFor, _shared.Random.NextDouble())
                : TimeSpan.Zero;
            if (delay > TimeSpan.Zero && delay < remaining) draining.Quiet = Start(draining.Quiet, "CloseWhenQuiet", delay);
            else Close();
            CheckIdle(draining);
        }
        else if (draining.Quiet is not null)
        {
            // A second drain is a hurry: the quiet period and the spread give way.
            Cancel(draining.Quiet);
            draining.Quiet = null;
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
        if (_port.CloseDeferred is { } deferred) AskAgainWhenIdle(deferred, Self);
    }

    // Apart from Close: the closure it needs would be made on every close, deferred or not.
    private static void AskAgainWhenIdle(Task deferred, IActorRef self) =>
        deferred.ContinueWith(_ => self.Tell(CloseDeferredIdle.Instance), TaskContinuationOptions.ExecuteSynchronously);

    /// <summary>During a drain, a connection that cannot be told to go away is closed once idle for its timeout.</summary>
    private void CheckIdle(Draining draining)
    {
        if (_port is not IIdleClosable { IdleTimeout: { } timeout } idle) return;
        var left = timeout - _port.IdleFor;
        if (left > TimeSpan.Zero)
        {
            draining.IdleCheck = Start(draining.IdleCheck, "IdleCheck", left);
            return;
        }
        Log.Info("Drain: closing connection {0} on listener {1}: idle for {2:0.0}s", _port.Id, _shared.Listener, _port.IdleFor.TotalSeconds);
        idle.CloseIdle();
    }

    private void OnDeadline()
    {
        // A connection accepted after a drain was taken back never drained: an old drain's deadline is not its own.
        if (_finished || _draining is null) return;
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
