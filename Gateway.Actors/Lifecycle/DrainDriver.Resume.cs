using Akka.Actor;
using static Gateway.Lifecycle.DrainCommands;

namespace Gateway.Lifecycle;

/// <summary>A drain taken back (undrain): the tree accepts again, the slot of the drain budget is given back.</summary>
internal sealed partial class DrainDriver
{
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
        DrainLog.ServingAgain(_logger, _scope);
        foreach (var requester in _resumeRequesters) requester.Tell(new Undrained(UndrainResult.Serving));
        _resumeRequesters.Clear();
        // The gateway serves again: so does every listener drained alone.
        _listeners?.ServeAll();
        Become(Serving);
        Stash.UnstashAll();
    }
}
