using Akka.Actor;
using Microsoft.Extensions.Logging;
using static Gateway.Lifecycle.DrainCommands;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Lifecycle;

/// <summary>
/// The one owner of a drain's timeline: t = 0 → announce → stop accepting → drain → deadline, and back (undrain).
/// Its states are <see cref="GatewayPhase"/>'s: serving, announcing, unbinding, draining, then drained (the gateway
/// stays up) or exiting (the process leaves), and resuming on the way back to serving; each transition is logged
/// once and mirrored in a <see cref="GatewayState"/>. It drives the tree with <see cref="DrainProtocol"/>'s messages
/// and builds the <see cref="Drain"/> they carry. CoordinatedShutdown's phases, the admin drain and a hot restart's
/// old generation all run this one; a drain of one listener runs a child of it, scoped to that listener.
/// </summary>
internal partial class DrainDriver : ReceiveActor, IWithTimers, IWithStash
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
    private readonly ListenerDrains? _listeners;
    private readonly DrainMilestones _milestones = new();
    private readonly List<IActorRef> _resumeRequesters = [];
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
        if (listener is null)
        {
            _listeners = new ListenerDrains(tree, timeline, hooks, mirror.Time, logger);
            Context.Watch(tree);
        }
        Serving();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public IStash Stash { get; set; } = null!;

    /// <summary>The gateway's driver (a listener's is made by it, on demand).</summary>
    public static Props Props(IActorRef tree, DrainTimeline timeline, GatewayState mirror, DrainHooks hooks, ILogger logger) =>
        Akka.Actor.Props.Create(() => new DrainDriver(tree, timeline, mirror, hooks, logger, null));

    private DateTimeOffset Now => Context.System.Scheduler.Now;

    private void Start(Begin begin)
    {
        (_reason, _exit, _forced, _requestedAt) = (begin.Reason, begin.Exit, false, Now);
        // Answered once the mirror shows the drain: whoever asked reads GatewayState next (the admin API's report).
        if (_listener is null && _hooks.AcquireSlot is { } acquire && !begin.WithoutSlot)
        {
            // Queued: serving and ready until a slot frees (or only the queue reserve of the deadline is left).
            _queued = true;
            _mirror.Queued(_reason, _requestedAt, _exit);
            Reply(BeginResult.Started);
            acquire(_requestedAt, _force.Token).ContinueWith(t => new SlotDecided(t.IsCompletedSuccessfully && t.Result),
                TaskContinuationOptions.ExecuteSynchronously).PipeTo(Self);
            return;
        }
        Announce();
        Reply(BeginResult.Started);
    }

    private void Announce()
    {
        _t0 = Now;
        // The deadline counts from the request: a node that waited for a slot does not get longer for it.
        _deadline = _requestedAt + _timeline.Deadline;
        _milestones.Clear();
        (_drainSent, _result) = (false, null);
        var announce = _forced || _reason == DrainReason.HotRestart ? TimeSpan.Zero : _timeline.Announce;
        _mirror.Started(_reason, _requestedAt, _t0, _deadline, _exit);
        Enter(GatewayPhase.Announcing, log: false);
        if (_listener is null) DrainLog.Started(_logger, _reason, announce.TotalSeconds, _timeline.Deadline.TotalSeconds);
        else DrainLog.ListenerStarted(_logger, _listener, _reason, announce.TotalSeconds, _timeline.Deadline.TotalSeconds);
        Tree(new DrainProtocol.Announce(_reason));
        Become(Announcing);
        if (announce > TimeSpan.Zero) Timers.StartSingleTimer(AnnounceOver.Instance, AnnounceOver.Instance, announce);
        else StopAccepting();
    }

    private void StopAccepting()
    {
        Timers.Cancel(AnnounceOver.Instance);
        DrainLog.StopAccepting(_logger, _scope, (Now - _t0).TotalMilliseconds);
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
        if (overdue) DrainLog.UnbindOverdue(_logger, _scope, UnbindLimit.TotalSeconds);
        else DrainLog.Unbound(_logger, (Now - _phaseSince).TotalMilliseconds, _scope);
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
        if (overdue) DrainLog.FinishOverdue(_logger, _scope, _exit ? "" : "; it stays up, drained, until taken back (POST /undrain)");
        else DrainLog.Finished(_logger, _scope, result?.Outcome.ToString() ?? "Stopped", result?.Counts.ToString() ?? "the tree had stopped",
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

    /// <summary>A command for one listener goes to that listener's drain (only the gateway's driver has them).</summary>
    private bool RoutedToListener(object command, string? listener)
    {
        if (listener is null || _listeners is null) return false;
        _listeners.Route(Context, command, listener, _phase);
        return true;
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    private void Tree(object message) => _tree.Tell(_listener is null ? message : new GatewaySupervisor.ToListener(_listener, message));

    private void Reply(BeginResult result) => Sender.Tell(new Begun(result, _phase));

    /// <summary>Each transition once: the mirror is written, and the log says so unless the caller logs it richer.</summary>
    private void Enter(GatewayPhase phase, bool log = true)
    {
        if (phase == _phase) return;
        if (log) DrainLog.Entered(_logger, _scope, _phase, phase);
        _phase = phase;
        _phaseSince = Now;
        _mirror.Enter(phase, _exit, _deadline == default ? null : _deadline);
    }

    private void Reach(DrainMilestone milestone) => _milestones.Reach(milestone, _result);

    private void Wait(WaitFor wait) => _milestones.Wait(Sender, wait.Milestone, _result);
}
