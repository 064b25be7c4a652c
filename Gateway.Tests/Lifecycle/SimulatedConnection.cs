using Gateway.Connections;

namespace Gateway.Tests.Lifecycle;

/// <summary>
/// A downstream connection without sockets. It behaves like Kestrel's: <see cref="RequestClose"/> closes an idle
/// connection at once and a busy one after its last in-flight request (the test finishes those with
/// <see cref="FinishRequest"/>); <see cref="Abort"/> closes it at once. Every call is journaled with its virtual time.
/// </summary>
public sealed class SimulatedConnection(string id, SimulatedJournal journal, int inFlight = 0) : IConnectionPort
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private int _inFlight = inFlight;
    private bool _closeRequested;

    public string Id { get; } = id;
    public string Remote => "sim/" + Id;
    public int InFlight { get { lock (_gate) return _inFlight; } }
    public Task Closed => _closed.Task;

    /// <summary>Injects a crash: the connection actor's call to <see cref="RequestClose"/> throws.</summary>
    public bool ThrowOnRequestClose { get; init; }

    public IReadOnlyList<JournalEntry> RequestCloseCalls => Calls("request-close");
    public IReadOnlyList<JournalEntry> GoAwayCalls => Calls("go-away");
    public IReadOnlyList<JournalEntry> AbortCalls => Calls("abort");

    public void GoAway() => journal.Record($"conn {Id} go-away");

    public void RequestClose()
    {
        journal.Record($"conn {Id} request-close");
        if (ThrowOnRequestClose) throw new InvalidOperationException($"simulated crash in RequestClose of {Id}");
        bool idle;
        lock (_gate)
        {
            _closeRequested = true;
            idle = _inFlight == 0;
        }
        if (idle) End("closed idle");
    }

    public void Abort(string reason)
    {
        journal.Record($"conn {Id} abort");
        End("aborted: " + reason);
    }

    /// <summary>The test finishes one in-flight request; a connection asked to close then ends.</summary>
    public void FinishRequest()
    {
        bool end;
        lock (_gate)
        {
            _inFlight--;
            end = _inFlight == 0 && _closeRequested;
        }
        if (end) End("closed after last response");
    }

    private void End(string how)
    {
        // Only the first end counts, as with a real socket; the journal shows it as "conn X closed".
        if (_closed.TrySetResult()) journal.Record($"conn {Id} closed ({how})");
    }

    private List<JournalEntry> Calls(string what) =>
        [.. journal.Entries.Where(e => e.Event == $"conn {Id} {what}")];
}
