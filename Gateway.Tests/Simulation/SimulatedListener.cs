using Gateway.Listeners;

namespace Gateway.Tests.Simulation;

/// <summary>
/// A listening socket without sockets. <see cref="StopAcceptingAsync"/> completes at once unless the test holds it
/// (<c>holdUnbind</c>) to observe what waits on it, and then releases it with <see cref="CompleteUnbind"/>.
/// </summary>
/// <param name="inlineContinuations">Run what waits on the unbind on the thread that completes it (a <see cref="GatewaySimulation"/>).</param>
public sealed class SimulatedListener(string name, SimulatedJournal journal, bool holdUnbind = false, bool inlineContinuations = false) : IListenerPort
{
    private readonly TaskCreationOptions _continuations = inlineContinuations ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously;
    private bool _hold = holdUnbind;
    private bool _stopped;
    private TaskCompletionSource? _unboundSource;

    private TaskCompletionSource Unbound => _unboundSource ??= new TaskCompletionSource(_continuations);
    private int _stopCalls;
    private int _resumeCalls;
    private long _registered;

    public string Name { get; } = name;
    public int StopAcceptingCalls => Volatile.Read(ref _stopCalls);

    public bool GoingAway { get; private set; }

    /// <summary>Injects a fault into the listener actor: its call to <see cref="GoAway"/> (the announce) throws.</summary>
    public bool ThrowOnGoAway { get; init; }

    public void GoAway()
    {
        journal.Record($"listener {Name} go-away");
        if (ThrowOnGoAway) throw new InvalidOperationException($"simulated fault in GoAway of listener {Name}");
        GoingAway = true;
    }

    public void CancelGoAway()
    {
        journal.Record($"listener {Name} go-away-cancelled");
        GoingAway = false;
    }

    public Task StopAcceptingAsync()
    {
        Interlocked.Increment(ref _stopCalls);
        journal.Record($"listener {Name} stop-accepting");
        _stopped = true;
        if (!_hold) Unbound.TrySetResult();
        return Unbound.Task;
    }

    public int ResumeCalls => Volatile.Read(ref _resumeCalls);

    /// <summary>Injects a fault: accepting again fails (the address was taken meanwhile, say).</summary>
    public bool FailResume { get; set; }

    public Task ResumeAcceptingAsync()
    {
        Interlocked.Increment(ref _resumeCalls);
        journal.Record($"listener {Name} resume-accepting");
        if (FailResume) return Task.FromException(new InvalidOperationException($"simulated: {Name}'s address is in use"));
        _unboundSource = null;
        _stopped = false;
        return Task.CompletedTask;
    }

    /// <summary>It was told to stop accepting and has stopped (and not been told to accept again): a new connection is refused.</summary>
    public bool Refusing => _stopped && Unbound.Task.IsCompleted;

    /// <summary>Connections the test says this port passed towards the tree (0 unless a test counts them).</summary>
    public long ConnectionsRegistered => Interlocked.Read(ref _registered);

    /// <summary>Counts a connection as passed towards the tree, as production does before the unbind completes.</summary>
    public void Registered() => Interlocked.Increment(ref _registered);

    /// <summary>Completes the unbind held; later ones (after a drain taken back) complete at once.</summary>
    public void CompleteUnbind()
    {
        journal.Record($"listener {Name} unbound");
        _hold = false;
        Unbound.TrySetResult();
    }
}
