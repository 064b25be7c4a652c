using Akka.Actor;
using Akka.Event;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Lifecycle;

/// <summary>
/// The two questions the supervisor puts to every listener and answers once all have answered: stop accepting
/// (<see cref="StopAccepting"/> → <see cref="AcceptingStopped"/>) and accept again (<see cref="Resume"/> → <see cref="Resumed"/>).
/// </summary>
internal sealed partial class GatewaySupervisor
{
    private void OnStopAccepting(StopAccepting stop)
    {
        _unbind.Join(Sender);
        if (!_unbind.UnderWay) _unbind.Ask(_listeners.Alive, stop);
        ReplyUnboundWhenDone();
    }

    private void UnbindDone(IActorRef listener)
    {
        _unbind.Answered(listener, []);
        ReplyUnboundWhenDone();
    }

    private void ReplyUnboundWhenDone()
    {
        var name = Self.Path.Name;
        _unbind.ReplyWhenDone(_ => new AcceptingStopped(name));
    }

    /// <summary>
    /// An operator's drain is taken back: every listener accepts again (re-opening its socket); answered with
    /// <see cref="Resumed"/> once they all do, naming those that could not. The next drain counts afresh.
    /// </summary>
    private void OnResume(Resume resume)
    {
        if (_listeners.Current is { Resumable: false })
        {
            Sender.Tell(new Resumed(Self.Path.Name, ["the gateway is leaving (its drain leads to exit)"]));
            return;
        }
        _log.Debug("Drain taken back: {0} listener(s) accept again", _listeners.Alive.Count);
        _listeners.Reset();
        _reportedResumable = false;
        _overdue = false;
        Timers.Cancel(DeadlineReached.Instance);
        _resume.Join(Sender);
        _resume.Ask(_listeners.Alive, resume);
        ReplyResumedWhenDone();
    }

    private void ResumeDone(IActorRef listener, IReadOnlyList<string> failures)
    {
        if (_resume.Answered(listener, failures)) ReplyResumedWhenDone();
    }

    private void ReplyResumedWhenDone()
    {
        var name = Self.Path.Name;
        _resume.ReplyWhenDone(failures => new Resumed(name, failures));
    }
}
