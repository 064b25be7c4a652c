using Akka.Actor;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Lifecycle;

/// <summary>
/// The bookkeeping every draining parent shares: which children are still alive, which reported
/// <see cref="DrainComplete"/>, the sum of their counts, and who asked for the drain. Each child counts once per drain,
/// however often it reports (a second signal asks a drained child again; it answers again).
/// </summary>
internal sealed class DrainTracker
{
    private readonly HashSet<IActorRef> _alive = [];
    private readonly HashSet<IActorRef> _reported = [];
    private readonly HashSet<IActorRef> _counted = [];
    private readonly List<IActorRef> _requesters = [];

    private bool _counting;

    public Drain? Current { get; private set; }
    public DrainCounts Counts { get; private set; }
    public bool Draining => Current is not null;
    public IReadOnlyCollection<IActorRef> Alive => _alive;

    /// <summary>Every child alive has reported (children that stay up after their drain).</summary>
    public bool AllReported => _alive.All(_reported.Contains);

    public void Add(IActorRef child) => _alive.Add(child);

    /// <summary>Counts from the announce on: connections that leave during the announce window belong to the drain.</summary>
    public void StartCounting() => _counting = true;

    /// <summary>Records a drain request; returns the drain in force (a later one may only shorten it).</summary>
    public Drain Begin(Drain drain, IActorRef requester)
    {
        _counting = true;
        Current = Current is null ? drain : Current.Earliest(drain);
        if (!requester.IsNobody() && !_requesters.Contains(requester))
            _requesters.Add(requester);
        return Current;
    }

    /// <summary>The drain was taken back: children stay, the next drain counts afresh.</summary>
    public void Reset()
    {
        Current = null;
        Counts = DrainCounts.None;
        _counting = false;
        _reported.Clear();
        _counted.Clear();
        _requesters.Clear();
    }

    /// <summary>A child reported; its counts are summed when a drain is under way, once.</summary>
    public void Reported(IActorRef child, DrainCounts counts)
    {
        _reported.Add(child);
        Count(child, counts);
    }

    /// <summary>An unwatched child's last report (it ended, was forced, or crashed): it is no longer alive.</summary>
    public void Gone(IActorRef child, DrainCounts counts)
    {
        if (!_alive.Remove(child)) return;
        // Counted already when the deadline counted it as forced; a child that is gone never reports again.
        if (!_counted.Remove(child) && _counting) Counts += counts;
    }

    /// <summary>A child stopped; one that never reported crashed and counts as such (so nothing hangs on it).</summary>
    public void Terminated(IActorRef child)
    {
        if (!_alive.Remove(child)) return;
        if (!_reported.Remove(child)) Count(child, new DrainCounts(0, 0, 1));
        _counted.Remove(child);
    }

    /// <summary>The deadline passed: children still alive that have not reported count as forced.</summary>
    public void ForceRemaining()
    {
        foreach (var child in _alive.Where(c => !_reported.Contains(c)).ToList())
            Count(child, new DrainCounts(0, 1, 0));
    }

    public void Reply(object message)
    {
        foreach (var requester in _requesters)
            requester.Tell(message);
    }

    private void Count(IActorRef child, DrainCounts counts)
    {
        if (_counting && _counted.Add(child)) Counts += counts;
    }
}
