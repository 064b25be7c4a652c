using Akka.Actor;
using Microsoft.Extensions.Logging;
using static Gateway.Cluster.DrainBudgetProtocol;

namespace Gateway.Cluster;

/// <summary>
/// Grants drain slots, at most <c>max-draining</c> at once, first come first served. It runs as a cluster singleton:
/// a slot is a mutual exclusion, and only one actor deciding in order gives it without a race (two nodes reading a
/// replicated counter at the same time would both see a free slot). Its state is soft: when the singleton moves
/// (its node left or was downed), the new one waits one <see cref="RecoveryWindow"/> for the holders' heartbeats
/// (<see cref="HoldingSlot"/>) before it grants again, and waiting nodes simply ask again.
/// </summary>
internal sealed class DrainBudget : ReceiveActor, IWithTimers
{
    /// <summary>Longer than two heartbeats: every holder has spoken before a new singleton grants anything.</summary>
    internal static readonly TimeSpan RecoveryWindow = TimeSpan.FromSeconds(2.5);

    private sealed record RecoveryOver
    {
        public static readonly RecoveryOver Instance = new();
        public override string ToString() => "RecoveryOver";
    }

    private sealed record Waiting(string Node, IActorRef Client, DateTimeOffset RequestedAt);

    private readonly int _max;
    private readonly ILogger _logger;
    private readonly Dictionary<string, IActorRef> _holders = [];
    private readonly List<Waiting> _queue = [];
    private bool _recovering = true;

    public DrainBudget(int max, ILogger logger)
    {
        _max = max;
        _logger = logger;
        Receive<RequestSlot>(OnRequest);
        Receive<HoldingSlot>(h =>
        {
            if (_holders.TryAdd(h.Node, Sender)) Context.Watch(Sender);
            _queue.RemoveAll(w => w.Node == h.Node);
        });
        Receive<ReleaseSlot>(r =>
        {
            if (_holders.Remove(r.Node)) ClusterLog.SlotReleased(_logger, r.Node, _holders.Count, _max);
            _queue.RemoveAll(w => w.Node == r.Node);
            Grant();
        });
        Receive<Terminated>(t =>
        {
            // A node that is gone (left, downed) holds nothing and waits for nothing.
            foreach (var node in _holders.Where(h => h.Value.Equals(t.ActorRef)).Select(h => h.Key).ToList())
            {
                _holders.Remove(node);
                ClusterLog.SlotReleased(_logger, node + " (gone)", _holders.Count, _max);
            }
            _queue.RemoveAll(w => w.Client.Equals(t.ActorRef));
            Grant();
        });
        Receive<RecoveryOver>(_ =>
        {
            _recovering = false;
            ClusterLog.BudgetReady(_logger, _max, string.Join(", ", _holders.Keys), _queue.Count);
            Grant();
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(int max, ILogger logger) => Akka.Actor.Props.Create(() => new DrainBudget(max, logger));

    protected override void PreStart() => Timers.StartSingleTimer(RecoveryOver.Instance, RecoveryOver.Instance, RecoveryWindow);

    private void OnRequest(RequestSlot request)
    {
        if (_holders.ContainsKey(request.Node))
        {
            // A retry whose grant was lost (or sent to the previous singleton): grant again.
            Sender.Tell(new SlotGranted(request.Node));
            return;
        }
        var index = _queue.FindIndex(w => w.Node == request.Node);
        if (index < 0)
        {
            _queue.Add(new Waiting(request.Node, Sender, request.RequestedAt));
            Context.Watch(Sender);
            // First come first served by the time each node was asked to drain (retries keep their place).
            _queue.Sort((a, b) => a.RequestedAt != b.RequestedAt ? a.RequestedAt.CompareTo(b.RequestedAt) : string.CompareOrdinal(a.Node, b.Node));
        }
        Grant();
        var position = _queue.FindIndex(w => w.Node == request.Node);
        if (position >= 0) Sender.Tell(new SlotQueued(request.Node, position + 1, _holders.Keys.ToList()));
    }

    private void Grant()
    {
        if (_recovering) return;
        while (_holders.Count < _max && _queue.Count > 0)
        {
            var next = _queue[0];
            _queue.RemoveAt(0);
            _holders[next.Node] = next.Client;
            ClusterLog.SlotGranted(_logger, next.Node, _holders.Count, _max, _queue.Count);
            next.Client.Tell(new SlotGranted(next.Node));
        }
    }
}
