using Gateway.Upstreams;

namespace Gateway.Tests.Simulation;

/// <summary>
/// An upstream pool without sockets: the test sets the requests in flight and ends them with
/// <see cref="FinishRequest"/> (answered) or <see cref="FailRequests"/> (the upstream failed them). <see cref="WhenIdle"/>
/// marks the start of the upstream's drain in the journal and runs <see cref="OnDrainBegins"/>, so a test can check the
/// state of the tree at exactly that moment.
/// </summary>
/// <param name="inlineContinuations">Run continuations of <see cref="WhenIdle"/> inline (see <see cref="SimulatedConnection"/>).</param>
public sealed class SimulatedUpstream(string name, SimulatedJournal journal, int inFlight = 0, bool inlineContinuations = false)
    : IUpstreamPort
{
    private readonly TaskCompletionSource _idle =
        new(inlineContinuations ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private int _inFlight = inFlight;

    public string Name { get; } = name;
    public int InFlight { get { lock (_gate) return _inFlight; } }

    /// <summary>The virtual time the pool was closed, once it has been.</summary>
    public DateTimeOffset? ClosedAt { get; private set; }

    /// <summary>Requests still in flight when the pool was closed (they failed with it).</summary>
    public int InFlightAtClose { get; private set; }

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

    /// <summary>The upstream fails every request in flight (resets, 502s): the pool is idle, its task faulted.</summary>
    public void FailRequests()
    {
        lock (_gate) _inFlight = 0;
        journal.Record($"upstream {Name} failed its requests");
        _idle.TrySetException(new HttpRequestException($"simulated failure of upstream {Name}"));
    }

    public void Close()
    {
        ClosedAt ??= journal.Clock.Now;
        InFlightAtClose = InFlight;
        journal.Record($"upstream {Name} closed");
    }
}
