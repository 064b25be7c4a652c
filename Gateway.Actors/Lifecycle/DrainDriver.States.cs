using Akka.Actor;
using static Gateway.Lifecycle.DrainCommands;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Lifecycle;

/// <summary>
/// The driver's states, one method each: what every state does with each command and with the tree's answers. The
/// moves between them are in DrainDriver.cs.
/// </summary>
internal partial class DrainDriver
{
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
            else if (_listeners is not null) _listeners.UndrainAll(Sender);
            else Sender.Tell(new Undrained(UndrainResult.NotDraining));
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
            _milestones.Unreach(DrainMilestone.Finished);
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
                DrainLog.ResumeFailed(_logger, _scope, string.Join("; ", resumed.Failures));
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
        Receive<Undrained>(answer => _listeners?.Answered(Sender, answer));
        Receive<Begun>(_ => { });
    }
}
