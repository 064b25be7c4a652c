using Akka.Actor;
using Microsoft.Extensions.Logging;
using static Gateway.Cluster.DrainBudgetProtocol;

namespace Gateway.Cluster;

/// <summary>
/// This node's side of the drain budget: asks the budget singleton (through its proxy) for a slot, again every
/// second until it is granted — which also reaches a singleton that just moved — then says every second that it
/// still holds it, until the drain is over.
/// </summary>
internal sealed class DrainSlot : ReceiveActor, IWithTimers
{
    /// <summary>Local: ask for a slot; <paramref name="Granted"/> completes with true once it is ours.</summary>
    public sealed record Acquire(DateTimeOffset RequestedAt, TaskCompletionSource<bool> Granted)
    {
        public override string ToString() => $"Acquire(requested {RequestedAt:HH:mm:ss.fff})";
    }

    /// <summary>Local: the drain is over, or this node stops waiting: give the slot (or the place in the queue) back.</summary>
    public sealed record Release
    {
        public static readonly Release Instance = new();
        public override string ToString() => "Release";
    }

    private sealed record Tick
    {
        public static readonly Tick Instance = new();
        public override string ToString() => "Tick";
    }

    internal static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly IActorRef _budget;
    private readonly string _node;
    private readonly SlotState _state;
    private readonly ILogger _logger;
    private readonly List<TaskCompletionSource<bool>> _waiters = [];
    private Acquire? _pending;
    private int _position;

    public DrainSlot(IActorRef budget, string node, SlotState state, ILogger logger)
    {
        _budget = budget;
        _node = node;
        _state = state;
        _logger = logger;
        Receive<Acquire>(OnAcquire);
        Receive<SlotQueued>(q =>
        {
            if (_pending is null || q.Position == _position) return;
            _position = q.Position;
            _state.Set(SlotStatus.Queued);
            ClusterLog.Queued(_logger, q.Position, string.Join(", ", q.Draining));
        });
        Receive<SlotGranted>(_ =>
        {
            if (_pending is null)
            {
                // Granted after this node stopped waiting (it drained anyway, or it was released): give it back.
                if (_state.Status != SlotStatus.Holding) _budget.Tell(new ReleaseSlot(_node));
                return;
            }
            foreach (var waiter in _waiters) waiter.TrySetResult(true);
            _waiters.Clear();
            _pending = null;
            _state.Set(SlotStatus.Holding);
            _budget.Tell(new HoldingSlot(_node));
        });
        Receive<Tick>(_ =>
        {
            if (_pending is not null) _budget.Tell(new RequestSlot(_node, _pending.RequestedAt));
            else if (_state.Status == SlotStatus.Holding) _budget.Tell(new HoldingSlot(_node));
        });
        Receive<Release>(_ =>
        {
            if (_pending is null && _state.Status != SlotStatus.Holding) return;
            foreach (var waiter in _waiters) waiter.TrySetResult(false);
            _waiters.Clear();
            _pending = null;
            _state.Set(SlotStatus.Released);
            Timers.Cancel(Tick.Instance);
            _budget.Tell(new ReleaseSlot(_node));
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IActorRef budget, string node, SlotState state, ILogger logger) =>
        Akka.Actor.Props.Create(() => new DrainSlot(budget, node, state, logger));

    private void OnAcquire(Acquire acquire)
    {
        if (_state.Status == SlotStatus.Holding)
        {
            acquire.Granted.TrySetResult(true);
            return;
        }
        // A second request while one waits (an admin drain, then SIGTERM) keeps the first one's place.
        _waiters.Add(acquire.Granted);
        if (_pending is not null) return;
        _pending = acquire;
        _position = 0;
        _state.Set(SlotStatus.Requested);
        _budget.Tell(new RequestSlot(_node, acquire.RequestedAt));
        Timers.StartPeriodicTimer(Tick.Instance, Tick.Instance, Interval);
    }
}

/// <summary>Where this node stands with the drain budget.</summary>
public enum SlotStatus
{
    /// <summary>No drain asked for.</summary>
    None,
    /// <summary>Asked; no answer yet.</summary>
    Requested,
    /// <summary>Every slot is taken: serving and ready while it waits.</summary>
    Queued,
    /// <summary>This node holds a slot and drains.</summary>
    Holding,
    /// <summary>The drain is over (or this node drained without a slot); nothing held.</summary>
    Released,
}

/// <summary>The slot status, written by <see cref="DrainSlot"/> and read by the admin API without a round-trip.</summary>
public sealed class SlotState
{
    private volatile SlotStatus _status;
    public SlotStatus Status => _status;
    internal void Set(SlotStatus status) => _status = status;
}
