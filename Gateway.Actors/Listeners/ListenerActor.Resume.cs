using Akka.Actor;
using Akka.Event;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Listeners;

/// <summary>A drain taken back: the listener accepts again once its accept loop is open, or says why it cannot.</summary>
internal sealed partial class ListenerActor
{
    /// <summary>
    /// The drain is taken back. Still accepting (the announce window): stop telling connections to go away. Stopped:
    /// accept again (the port re-opens its socket). Stopping: accept again once stopped. Connections already told to
    /// drain finish their drain; those accepted from now on are served as before.
    /// </summary>
    private void OnResume()
    {
        if (_leaving)
        {
            Sender.Tell(new Resumed(Self.Path.Name, [$"listener {_port.Name} is leaving (its drain leads to exit)"]));
            return;
        }
        _resumeRequesters.Add(Sender);
        if (_unbound) Reopen();
        else if (!_unbinding) OnReopened(new Reopened(null));
    }

    /// <summary>A drain taken back while this listener was still stopping, and a new drain came first: it stays stopped.</summary>
    private void CancelResume(string why)
    {
        if (_resumeRequesters.Count == 0 || _reopening) return;
        foreach (var requester in _resumeRequesters) requester.Tell(new Resumed(Self.Path.Name, [$"listener {_port.Name}: {why}"]));
        _resumeRequesters.Clear();
    }

    private void Reopen()
    {
        if (_reopening) return;
        _reopening = true;
        var self = Self;
        _port.ResumeAcceptingAsync().ContinueWith(t => self.Tell(new Reopened(t.Exception?.GetBaseException())),
            TaskContinuationOptions.ExecuteSynchronously);
    }

    private void OnReopened(Reopened reopened)
    {
        _reopening = false;
        var failures = new List<string>();
        if (reopened.Error is { } error)
        {
            _log.Error(error, "Listener {0}: accepting again failed", _port.Name);
            failures.Add($"listener {_port.Name}: {error.Message}");
        }
        else
        {
            if (_unbound) _log.Info("Listener {0} accepts again", _port.Name);
            _unbinding = _unbound = _completed = false;
            _announce = null;
            _port.CancelGoAway();
            _drain.Reset();
            // The connections still draining keep their deadline (ConnectionsDeadline); this listener has none now.
            Timers.Cancel(DeadlineReached.Instance);
            Become(Serving);
        }
        foreach (var requester in _resumeRequesters) requester.Tell(new Resumed(Self.Path.Name, failures));
        _resumeRequesters.Clear();
    }
}
