using Akka.Actor;

namespace Gateway.Lifecycle;

/// <summary>
/// One question a parent puts to its listeners — stop accepting, accept again — answered to everyone who asked once
/// each listener asked has answered or stopped; the failures they name are gathered along the way.
/// </summary>
internal sealed class ListenerRound
{
    private readonly List<IActorRef> _requesters = [];
    private readonly HashSet<IActorRef> _pending = [];
    private readonly List<string> _failures = [];

    /// <summary>Some listener has not answered yet.</summary>
    public bool UnderWay => _pending.Count > 0;

    public void Join(IActorRef requester) => _requesters.Add(requester);

    /// <summary>Puts the question to each listener not asked in this round yet.</summary>
    public void Ask(IEnumerable<IActorRef> listeners, object question)
    {
        foreach (var listener in listeners)
            if (_pending.Add(listener)) listener.Tell(question);
    }

    /// <summary>A listener answered (or stopped); false when it had not been asked.</summary>
    public bool Answered(IActorRef listener, IReadOnlyList<string> failures)
    {
        if (!_pending.Remove(listener)) return false;
        _failures.AddRange(failures);
        return true;
    }

    /// <summary>Once no listener is pending, every requester gets the answer and the round is over.</summary>
    public void ReplyWhenDone(Func<IReadOnlyList<string>, object> answer)
    {
        if (_pending.Count > 0 || _requesters.Count == 0) return;
        var message = answer([.. _failures]);
        foreach (var requester in _requesters) requester.Tell(message);
        _requesters.Clear();
        _failures.Clear();
    }
}
