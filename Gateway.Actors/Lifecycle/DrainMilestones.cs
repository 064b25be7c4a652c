using Akka.Actor;
using static Gateway.Lifecycle.DrainCommands;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Lifecycle;

/// <summary>
/// The milestones a drain has reached, and who waits for one (CoordinatedShutdown's phases): a waiter is answered
/// once its milestone or a later one is reached; one that asks for a milestone already passed is answered at once.
/// </summary>
internal sealed class DrainMilestones
{
    private readonly List<(IActorRef Who, DrainMilestone Milestone)> _waiters = [];
    private readonly HashSet<DrainMilestone> _reached = [];

    /// <summary>A new drain begins: nothing is reached yet.</summary>
    public void Clear() => _reached.Clear();

    /// <summary>A drained gateway begins a drain to exit: it has to finish again.</summary>
    public void Unreach(DrainMilestone milestone) => _reached.Remove(milestone);

    public void Reach(DrainMilestone milestone, DrainComplete? result)
    {
        _reached.Add(milestone);
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Milestone > milestone) continue;
            _waiters[i].Who.Tell(new Reached(_waiters[i].Milestone, result));
            _waiters.RemoveAt(i);
        }
    }

    public void Wait(IActorRef who, DrainMilestone milestone, DrainComplete? result)
    {
        if (_reached.Contains(milestone)) who.Tell(new Reached(milestone, result));
        else _waiters.Add((who, milestone));
    }
}
