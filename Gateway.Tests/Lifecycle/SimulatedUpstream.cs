using Gateway.Upstreams;

namespace Gateway.Tests.Lifecycle;

/// <summary>
/// An upstream pool without sockets: the test sets the requests in flight and ends them with
/// <see cref="FinishRequest"/>. <see cref="WhenIdle"/> marks the start of the upstream's drain in the journal and runs
/// <see cref="OnDrainBegins"/>, so a test can check the state of the tree at exactly that moment.
/// </summary>
public sealed class SimulatedUpstream(string name, SimulatedJournal journal, int inFlight = 0) : IUpstreamPort
{
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private int _inFlight = inFlight;

    public string Name { get; } = name;
    public int InFlight { get { lock (_gate) return _inFlight; } }

    /// <summary>Runs on the upstream actor's thread when its drain begins.</summary>
    public Action? OnDrainBegins { get; set; }

    public Task WhenIdle()
    {
        journal.Record($"upstream {Name} drain-begins");
        OnDrainBegins?.Invoke();
        if (InFlight == 0) _idle.TrySetResult();
        return _idle.Task;
    }

    public void FinishRequest()
    {
        bool idle;
        lock (_gate) idle = --_inFlight == 0;
        if (idle)
        {
            journal.Record($"upstream {Name} idle");
            _idle.TrySetResult();
        }
    }

    public void Close() => journal.Record($"upstream {Name} closed");
}
