using Akka.Actor;
using Microsoft.Extensions.Logging;
using static Gateway.Lifecycle.DrainCommands;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Lifecycle;

/// <summary>A drain's timeline: how long listeners keep accepting, when what is left is forced, how idle connections close.</summary>
public sealed record DrainTimeline(TimeSpan Announce, TimeSpan Deadline, IdleClosePolicy IdleClose);

/// <summary>What a <see cref="DrainDriver"/> needs from the world around the tree; every member may be left out.</summary>
public sealed record DrainHooks
{
    public static readonly DrainHooks None = new();

    /// <summary>Waits for a slot of the cluster's drain budget (true: granted, false: gave up or forced); null alone.</summary>
    public Func<DateTimeOffset, CancellationToken, Task<bool>>? AcquireSlot { get; init; }

    /// <summary>Gives the slot back once the drain is over.</summary>
    public Action? ReleaseSlot { get; init; }

    /// <summary>Whether a listener of this name exists (a listener's drain is refused otherwise).</summary>
    public Func<string, bool> ListenerExists { get; init; } = _ => true;

    /// <summary>The mirror in which a listener's own drain is shown.</summary>
    public Func<string, GatewayState>? ListenerState { get; init; }
}

/// <summary>
/// The one owner of a drain's timeline: t = 0 → announce → stop accepting → drain → deadline, and back (undrain).
/// Its states are <see cref="GatewayPhase"/>'s: serving, announcing, unbinding, draining, then drained (the gateway
/// stays up) or exiting (the process leaves), and resuming on the way back to serving; each transition is logged
/// once and mirrored in a <see cref="GatewayState"/>. It drives the tree with <see cref="DrainProtocol"/>'s messages
/// and builds the <see cref="Drain"/> they carry. CoordinatedShutdown's phases, the admin drain and a hot restart's
/// old generation all run this one; a drain of one listener runs a child of it, scoped to that listener.
/// </summary>
public sealed partial class DrainDriver : ReceiveActor, IWithTimers, IWithStash
{
    /// <summary>The conventional name of the gateway's driver under /user.</summary>
    public const string Name = "drain";

    /// <summary>How long the listeners may take to stop accepting before the drain goes on without them.</summary>
    internal static readonly TimeSpan UnbindLimit = TimeSpan.FromSeconds(10);

    private sealed record AnnounceOver
    {
        public static readonly AnnounceOver Instance = new();
    }

    private sealed record UnbindOverdue
    {
        public static readonly UnbindOverdue Instance = new();
    }

    private sealed record FinishOverdue
    {
        public static readonly FinishOverdue Instance = new();
    }

    private sealed record SlotDecided(bool Granted);

    private readonly IActorRef _tree;
    private readonly DrainTimeline _timeline;
    private readonly GatewayState _mirror;
    private readonly DrainHooks _hooks;
    private readonly ILogger _logger;
    private readonly string? _listener;
    private readonly string _scope;
    private readonly Dictionary<string, IActorRef> _listenerDrivers = [];
    private readonly List<(IActorRef Who, DrainMilestone Milestone)> _waiters = [];
    private readonly HashSet<DrainMilestone> _reached = [];
    private readonly List<IActorRef> _resumeRequesters = [];
    private ListenersUndrain _listenersUndrain = new();
    private CancellationTokenSource _force = new();
    private GatewayPhase _phase = GatewayPhase.Serving;
    private DrainReason _reason;
    private bool _exit;
    private bool _forced;
    private bool _queued;
    private bool _slotHeld;
    private bool _drainSent;
    private bool _resumeWhenUnbound;
    private DateTimeOffset _requestedAt;
    private DateTimeOffset _t0;
    private DateTimeOffset _deadline;
    private DateTimeOffset _phaseSince;
    private DrainComplete? _result;

    public DrainDriver(IActorRef tree, DrainTimeline timeline, GatewayState mirror, DrainHooks hooks, ILogger logger, string? listener = null)
    {
        _tree = tree;
        _timeline = timeline;
        _mirror = mirror;
        _hooks = hooks;
        _logger = logger;
        _listener = listener;
        _scope = listener is null ? "the gateway" : $"listener {listener}";
        if (listener is null) Context.Watch(tree);
        Serving();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    /// <summary>The gateway's driver (a listener's is made by it, on demand).</summary>
    public static Props Props(IActorRef tree, DrainTimeline timeline, GatewayState mirror, DrainHooks hooks, ILogger logger) =>
        Akka.Actor.Props.Create(() => new DrainDriver(tree, timeline, mirror, hooks, logger, null));

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    // ---- states --------------------------------------------------------------------------------------------------

    private void Serving()
    {
        Receive<Begin>(begin =>
        {
            if (RoutedToListener(begin, begin.Listener)) return;
            if (_queued)
            {
                _exit |= begin.Exit;
                if (begin.WithoutSlot) _force.Cancel(); // downed meanwhile: no budget to wait for
                Reply(BeginResult.AlreadyDraining);
                return;
            }
            Start(begin);
        });
        Receive<SlotDecided>(decided =>
        {
            if (!_queued) return;
            _queued = false;
            _slotHeld = decided.Granted;
            Announce();
        });
        Receive<Undrain>(undrain =>
        {
            if (RoutedToListener(undrain, undrain.Listener)) return;
            if (_queued) Sender.Tell(new Undrained(UndrainResult.Queued, "the drain waits for a slot of the cluster's drain budget and has not begun"));
            else UndrainListenersOnly();
        });
        Receive<Force>(_ =>
        {
            if (!_queued) return;
            _forced = true;
            _force.Cancel(); // the slot wait gives up at once
        });
        Receive<WaitFor>(Wait);
        ReceiveCommon();
    }

    private void Announcing()
    {
        Receive<AnnounceOver>(_ => StopAccepting());
        Receive<Begin>(begin =>
        {
            if (RoutedToListener(begin, begin.Listener)) return;
            Join(begin);
            // A successor already accepts on the same sockets: no load balancer needs time to move away.
            if (begin.Reason == DrainReason.HotRestart) StopAccepting();
        });
        Receive<Undrain>(undrain =>
        {
            if (RoutedToListener(undrain, undrain.Listener)) return;
            if (RefusedBecauseExiting()) return;
            Timers.Cancel(AnnounceOver.Instance);
            Resume();
        });
        Receive<Force>(_ =>
        {
            _forced = true;
            StopAccepting();
        });
        Receive<WaitFor>(Wait);
        ReceiveCommon();
    }

    private void Unbinding()
    {
        Receive<AcceptingStopped>(_ => Unbound(overdue: false));
        Receive<UnbindOverdue>(_ => Unbound(overdue: true));
        Receive<Begin>(begin =>
        {
            if (RoutedToListener(begin, begin.Listener)) return;
            Join(begin);
            if (_exit && _resumeWhenUnbound) CancelResume();
        });
        Receive<Undrain>(undrain =>
        {
            if (RoutedToListener(undrain, undrain.Listener)) return;
            if (RefusedBecauseExiting()) return;
            // Taken back while the listeners stop: they accept again once stopped.
            _resumeRequesters.Add(Sender);
            _resumeWhenUnbound = true;
            Enter(GatewayPhase.Resuming);
        });
        Receive<Force>(_ =>
        {
            _forced = true;
            SendDrain(); // without waiting for the listeners to stop: a second signal is a hurry
        });
        Receive<WaitFor>(Wait);
        ReceiveCommon();
    }

    private void Draining()
    {
        Receive<DrainComplete>(c => Finish(c));
        Receive<FinishOverdue>(_ => Finish(null, overdue: true));
        Receive<Begin>(begin =>
        {
            if (RoutedToListener(begin, begin.Listener)) return;
            var wasExit = _exit;
            Join(begin);
            if (_exit && !wasExit) SendDrain(); // the tree now stops bottom-up when drained
        });
        Receive<Undrain>(undrain =>
        {
            if (RoutedToListener(undrain, undrain.Listener)) return;
            if (RefusedBecauseExiting()) return;
            Resume();
        });
        Receive<Force>(_ =>
        {
            _forced = true;
            SendDrain();
        });
        Receive<WaitFor>(Wait);
        ReceiveCommon();
    }

    private void Drained()
    {
        Receive<Begin>(begin =>
        {
            if (RoutedToListener(begin, begin.Listener)) return;
            if (!begin.Exit)
            {
                Reply(BeginResult.AlreadyDraining);
                return;
            }
            // A shutdown of a drained gateway: a drain of its own from now (t = 0), that stops the tree.
            (_exit, _reason, _t0) = (true, begin.Reason, Now);
            _deadline = _t0 + _timeline.Deadline;
            _reached.Remove(DrainMilestone.Finished);
            Reply(BeginResult.Started);
            Enter(GatewayPhase.Draining);
            Become(Draining);
            SendDrain();
        });
        Receive<Undrain>(undrain =>
        {
            if (RoutedToListener(undrain, undrain.Listener)) return;
            Resume();
        });
        Receive<Force>(_ => { });
        Receive<WaitFor>(Wait);
        ReceiveCommon();
    }

    private void Resuming()
    {
        Receive<Resumed>(resumed =>
        {
            if (resumed.Failures.Count > 0)
            {
                // Some listeners accept again, some cannot: not ready; an undrain may be tried again.
                Log.ResumeFailed(_logger, _scope, string.Join("; ", resumed.Failures));
                Enter(GatewayPhase.Drained, log: false);
                foreach (var requester in _resumeRequesters) requester.Tell(new Undrained(UndrainResult.Failed, string.Join("; ", resumed.Failures)));
                _resumeRequesters.Clear();
                Become(Drained);
                Stash.UnstashAll();
                return;
            }
            BackToServing();
        });
        Receive<Undrain>(undrain =>
        {
            if (RoutedToListener(undrain, undrain.Listener)) return;
            _resumeRequesters.Add(Sender);
        });
        // A drain asked meanwhile (a shutdown, say) begins once the listeners accept again.
        Receive<Begin>(_ => Stash.Stash());
        Receive<Force>(_ => Stash.Stash());
        Receive<WaitFor>(_ => Stash.Stash());
        ReceiveCommon();
    }

    private void Exiting()
    {
        Receive<Begin>(_ => Reply(BeginResult.AlreadyDraining));
        Receive<Undrain>(_ => Sender.Tell(new Undrained(UndrainResult.Exiting, "the process is leaving (a shutdown or hot restart): its drain cannot be taken back")));
        Receive<WaitFor>(w => Sender.Tell(new Reached(w.Milestone, _result)));
        ReceiveAny(_ => { });
    }

    /// <summary>In every state: a stale answer of the tree is dropped; the tree's end is the drain's end.</summary>
    private void ReceiveCommon()
    {
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_tree)) return;
            if (_phase is GatewayPhase.Serving or GatewayPhase.Drained or GatewayPhase.Resuming) _exit = true;
            Finish(null);
        });
        Receive<AcceptingStopped>(_ => { });
        Receive<DrainComplete>(_ => { });
        Receive<Resumed>(_ => { });
        Receive<Undrained>(ListenerUndrained);
        Receive<Begun>(_ => { });
    }

    // ---- transitions ---------------------------------------------------------------------------------------------

    private void Start(Begin begin)
    {
        (_reason, _exit, _forced, _requestedAt) = (begin.Reason, begin.Exit, false, Now);
        Reply(BeginResult.Started);
        if (_listener is null && _hooks.AcquireSlot is { } acquire && !begin.WithoutSlot)
        {
            // Queued: serving and ready until a slot frees (or only the queue reserve of the deadline is left).
            _queued = true;
            _mirror.Queued(_reason, _requestedAt, _exit);
            acquire(_requestedAt, _force.Token).ContinueWith(t => new SlotDecided(t.IsCompletedSuccessfully && t.Result),
                TaskContinuationOptions.ExecuteSynchronously).PipeTo(Self);
            return;
        }
        Announce();
    }

    private void Announce()
    {
        _t0 = Now;
        // The deadline counts from the request: a node that waited for a slot does not get longer for it.
        _deadline = _requestedAt + _timeline.Deadline;
        _reached.Clear();
        (_drainSent, _result) = (false, null);
        var announce = _forced || _reason == DrainReason.HotRestart ? TimeSpan.Zero : _timeline.Announce;
        _mirror.Started(_reason, _requestedAt, _t0, _deadline, _exit);
        Enter(GatewayPhase.Announcing, log: false);
        if (_listener is null) Log.Started(_logger, _reason, announce.TotalSeconds, _timeline.Deadline.TotalSeconds);
        else Log.ListenerStarted(_logger, _listener, _reason, announce.TotalSeconds, _timeline.Deadline.TotalSeconds);
        Tree(new DrainProtocol.Announce(_reason));
        Become(Announcing);
        if (announce > TimeSpan.Zero) Timers.StartSingleTimer(AnnounceOver.Instance, AnnounceOver.Instance, announce);
        else StopAccepting();
    }

    private void StopAccepting()
    {
        Timers.Cancel(AnnounceOver.Instance);
        Log.StopAccepting(_logger, _scope, (Now - _t0).TotalMilliseconds);
        Enter(GatewayPhase.Unbinding, log: false);
        Reach(DrainMilestone.AnnounceOver);
        Tree(DrainProtocol.StopAccepting.Instance);
        Timers.StartSingleTimer(UnbindOverdue.Instance, UnbindOverdue.Instance, UnbindLimit);
        Become(Unbinding);
        if (_forced) SendDrain();
    }

    private void Unbound(bool overdue)
    {
        Timers.Cancel(UnbindOverdue.Instance);
        Reach(DrainMilestone.Unbound);
        if (_resumeWhenUnbound)
        {
            // Taken back meanwhile (already logged as the move to resuming): the listeners accept again now.
            _resumeWhenUnbound = false;
            Become(Resuming);
            Tree(DrainProtocol.Resume.Instance);
            return;
        }
        if (overdue) Log.UnbindOverdue(_logger, _scope, UnbindLimit.TotalSeconds);
        else Log.Unbound(_logger, (Now - _phaseSince).TotalMilliseconds, _scope);
        Enter(GatewayPhase.Draining, log: false);
        Become(Draining);
        if (!_drainSent) SendDrain();
    }

    /// <summary>The drain order: the deadline from t = 0, forced when hurried, resumable unless it leads to exit.</summary>
    private void SendDrain()
    {
        _drainSent = true;
        var forced = _forced;
        Tree(new Drain(forced ? Now : _deadline, _reason, forced ? DrainMode.Force : DrainMode.Graceful)
        {
            IdleClose = _timeline.IdleClose,
            Resumable = !_exit,
        });
        // The tree answers by its deadline (plus the grace its listeners give their connections); if it cannot, it has hung.
        var limit = (forced ? TimeSpan.Zero : _deadline - Now) + TimeSpan.FromSeconds(5);
        Timers.StartSingleTimer(FinishOverdue.Instance, FinishOverdue.Instance, limit > TimeSpan.Zero ? limit : TimeSpan.Zero);
    }

    private void Finish(DrainComplete? result, bool overdue = false)
    {
        Timers.Cancel(FinishOverdue.Instance);
        _result = result ?? _result;
        var drainingFor = (Now - _phaseSince).TotalMilliseconds;
        Enter(_exit ? GatewayPhase.Exiting : GatewayPhase.Drained, log: false);
        _mirror.Finished(_phase, result, _exit);
        if (overdue) Log.FinishOverdue(_logger, _scope, _exit ? "" : "; it stays up, drained, until taken back (POST /undrain)");
        else Log.Finished(_logger, _scope, result?.Outcome.ToString() ?? "Stopped", result?.Counts.ToString() ?? "the tree had stopped",
            drainingFor, (Now - _t0).TotalMilliseconds, _exit ? "" : "; it stays up, drained, until taken back (POST /undrain)");
        if (_slotHeld)
        {
            // The next node queued for the cluster's drain budget may go.
            _slotHeld = false;
            _hooks.ReleaseSlot?.Invoke();
        }
        Reach(DrainMilestone.Finished);
        Become(_exit ? Exiting : Drained);
    }

    private void Resume()
    {
        _resumeRequesters.Add(Sender);
        Timers.Cancel(FinishOverdue.Instance);
        Enter(GatewayPhase.Resuming);
        Become(Resuming);
        Tree(DrainProtocol.Resume.Instance);
    }

    private void CancelResume()
    {
        _resumeWhenUnbound = false;
        foreach (var requester in _resumeRequesters) requester.Tell(new Undrained(UndrainResult.Exiting, "a shutdown began meanwhile"));
        _resumeRequesters.Clear();
        Enter(GatewayPhase.Unbinding);
    }

    private void BackToServing()
    {
        if (_slotHeld)
        {
            _slotHeld = false;
            _hooks.ReleaseSlot?.Invoke();
        }
        (_exit, _forced, _queued, _drainSent, _resumeWhenUnbound) = (false, false, false, false, false);
        if (_force.IsCancellationRequested) _force = new CancellationTokenSource();
        _mirror.Cleared();
        _phase = GatewayPhase.Serving;
        Log.ServingAgain(_logger, _scope);
        foreach (var requester in _resumeRequesters) requester.Tell(new Undrained(UndrainResult.Serving));
        _resumeRequesters.Clear();
        // The gateway serves again: so does every listener drained alone.
        foreach (var child in _listenerDrivers.Values) child.Tell(new Undrain());
        Become(Serving);
        Stash.UnstashAll();
    }

    /// <summary>A drain asked while one is under way: it may only make it lead to exit (never take that back).</summary>
    private void Join(Begin begin)
    {
        var becomesExit = begin.Exit && !_exit;
        _exit |= begin.Exit;
        if (becomesExit) _mirror.Enter(_phase, exit: true);
        Reply(becomesExit ? BeginResult.Started : BeginResult.AlreadyDraining);
    }

    private bool RefusedBecauseExiting()
    {
        if (!_exit) return false;
        Sender.Tell(new Undrained(UndrainResult.Exiting, "the process is leaving (a shutdown or hot restart): its drain cannot be taken back"));
        return true;
    }

    /// <summary>The gateway serves but listeners were drained alone: an undrain of the gateway takes those back.</summary>
    private void UndrainListenersOnly()
    {
        if (_listenerDrivers.Count == 0)
        {
            Sender.Tell(new Undrained(UndrainResult.NotDraining));
            return;
        }
        _listenersUndrain.Requesters.Add(Sender);
        if (_listenersUndrain.Pending.Count > 0) return;
        foreach (var child in _listenerDrivers.Values)
        {
            _listenersUndrain.Pending.Add(child);
            child.Tell(new Undrain());
        }
    }

    /// <summary>A listener's driver answered the gateway's undrain; once all have, the gateway answers for them.</summary>
    private void ListenerUndrained(Undrained answer)
    {
        var undrain = _listenersUndrain;
        if (!undrain.Pending.Remove(Sender)) return;
        if (answer.Result == UndrainResult.Failed || undrain.Answer.Result != UndrainResult.Failed && answer.Result == UndrainResult.Serving)
            undrain.Answer = answer;
        if (undrain.Pending.Count > 0) return;
        foreach (var requester in undrain.Requesters) requester.Tell(undrain.Answer);
        _listenersUndrain = new ListenersUndrain();
    }

    /// <summary>An undrain of the gateway that waits for the listeners drained alone.</summary>
    private sealed class ListenersUndrain
    {
        public List<IActorRef> Requesters { get; } = [];
        public HashSet<IActorRef> Pending { get; } = [];
        public Undrained Answer { get; set; } = new(UndrainResult.NotDraining);
    }

    /// <summary>A command for one listener goes to that listener's driver (made on first use).</summary>
    private bool RoutedToListener(object command, string? listener)
    {
        if (listener is null || _listener is not null) return false;
        if (!_hooks.ListenerExists(listener))
        {
            Sender.Tell(command is Begin ? new Begun(BeginResult.UnknownListener, _phase) : new Undrained(UndrainResult.UnknownListener));
            return true;
        }
        if (command is Begin && _phase != GatewayPhase.Serving)
        {
            Reply(BeginResult.AlreadyDraining);
            return true;
        }
        if (!_listenerDrivers.TryGetValue(listener, out var driver))
        {
            if (command is Undrain)
            {
                Sender.Tell(new Undrained(UndrainResult.NotDraining));
                return true;
            }
            var mirror = _hooks.ListenerState?.Invoke(listener) ?? new GatewayState(TimeProvider.System);
            driver = Context.ActorOf(Akka.Actor.Props.Create(() => new DrainDriver(_tree, _timeline, mirror, DrainHooks.None, _logger, listener)),
                "listener-" + Uri.EscapeDataString(listener));
            _listenerDrivers[listener] = driver;
        }
        driver.Forward(command switch
        {
            Begin begin => begin with { Listener = null },
            _ => new Undrain(),
        });
        return true;
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private void Tree(object message) => _tree.Tell(_listener is null ? message : new GatewaySupervisor.ToListener(_listener, message));

    private void Reply(BeginResult result) => Sender.Tell(new Begun(result, _phase));

    /// <summary>Each transition once: the mirror is written, and the log says so unless the caller logs it richer.</summary>
    private void Enter(GatewayPhase phase, bool log = true)
    {
        if (phase == _phase) return;
        if (log) Log.Entered(_logger, _scope, _phase, phase);
        _phase = phase;
        _phaseSince = Now;
        _mirror.Enter(phase, _exit, _deadline == default ? null : _deadline);
    }

    private void Reach(DrainMilestone milestone)
    {
        _reached.Add(milestone);
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Milestone > milestone) continue;
            _waiters[i].Who.Tell(new Reached(_waiters[i].Milestone, _result));
            _waiters.RemoveAt(i);
        }
    }

    private void Wait(WaitFor wait)
    {
        if (_reached.Contains(wait.Milestone)) Sender.Tell(new Reached(wait.Milestone, _result));
        else _waiters.Add((Sender, wait.Milestone));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PhaseStarted, Level = LogLevel.Information,
            Message = "Drain started: readiness is 503; announce {AnnounceSeconds}s, deadline {DeadlineSeconds}s ({Reason})")]
        public static partial void Started(ILogger logger, DrainReason reason, double announceSeconds, double deadlineSeconds);

        [LoggerMessage(EventId = EventIds.PhaseStarted, Level = LogLevel.Information,
            Message = "Drain of listener {Listener} started: announce {AnnounceSeconds}s, deadline {DeadlineSeconds}s ({Reason}); the others serve")]
        public static partial void ListenerStarted(ILogger logger, string listener, DrainReason reason, double announceSeconds, double deadlineSeconds);

        [LoggerMessage(EventId = EventIds.DrainStopAccepting, Level = LogLevel.Information,
            Message = "Drain of {Scope}: announce over {Milliseconds:0}ms after t = 0; stopping accepting")]
        public static partial void StopAccepting(ILogger logger, string scope, double milliseconds);

        [LoggerMessage(EventId = EventIds.PhaseEnded, Level = LogLevel.Information,
            Message = "Drain phase unbind done in {Milliseconds:0}ms: listeners accept no new connections ({Scope})")]
        public static partial void Unbound(ILogger logger, double milliseconds, string scope);

        [LoggerMessage(EventId = EventIds.PhaseEnded, Level = LogLevel.Warning,
            Message = "Drain of {Scope}: the listeners did not say they stopped accepting within {Seconds}s; draining anyway")]
        public static partial void UnbindOverdue(ILogger logger, string scope, double seconds);

        [LoggerMessage(EventId = EventIds.DrainFinished, Level = LogLevel.Information,
            Message = "Drain finished: {Outcome} ({Counts}) after {PhaseMilliseconds:0}ms of draining, {TotalMilliseconds:0}ms after the signal ({Scope}){StaysUp}")]
        public static partial void Finished(ILogger logger, string scope, string outcome, string counts, double phaseMilliseconds, double totalMilliseconds, string staysUp);

        [LoggerMessage(EventId = EventIds.DrainFinished, Level = LogLevel.Warning,
            Message = "Drain finished without the tree's report: it did not answer by its deadline ({Scope}){StaysUp}")]
        public static partial void FinishOverdue(ILogger logger, string scope, string staysUp);

        [LoggerMessage(EventId = EventIds.DrainTransition, Level = LogLevel.Information,
            Message = "Drain of {Scope}: {From} → {To}")]
        public static partial void Entered(ILogger logger, string scope, GatewayPhase from, GatewayPhase to);

        [LoggerMessage(EventId = EventIds.DrainTakenBack, Level = LogLevel.Information,
            Message = "Drain of {Scope} taken back: serving again (readiness 200)")]
        public static partial void ServingAgain(ILogger logger, string scope);

        [LoggerMessage(EventId = EventIds.DrainTakenBack, Level = LogLevel.Error,
            Message = "Drain of {Scope} taken back, but not every listener accepts again: {Failures}; still drained (not ready)")]
        public static partial void ResumeFailed(ILogger logger, string scope, string failures);
    }
}
