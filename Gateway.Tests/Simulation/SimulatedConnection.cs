using Akka.Actor;
using Gateway.Connections;

namespace Gateway.Tests.Simulation;

/// <summary>How a simulated connection ended.</summary>
public enum ConnectionEnd
{
    /// <summary>Still open.</summary>
    Open,
    /// <summary>Closed while idle (a close request, or keep-alive with nothing in flight).</summary>
    ClosedIdle,
    /// <summary>Closed after its last response, which carried <c>Connection: close</c> / GOAWAY.</summary>
    ClosedAfterResponse,
    /// <summary>Closed by force (<see cref="IConnectionPort.Abort"/>).</summary>
    Aborted,
    /// <summary>Never accepted: its listener had stopped accepting when it came (it may retry elsewhere).</summary>
    Refused,
}

/// <summary>
/// A downstream connection without sockets. It behaves like Kestrel's: <see cref="RequestClose"/> closes an idle
/// connection at once and a busy one after its last in-flight request (the test or the simulation finishes those with
/// <see cref="FinishRequest"/>); after <see cref="GoAway"/> the next response closes it too; <see cref="Abort"/>
/// closes it at once. Every call is journaled with its virtual time; its actor is told of its end where it ends.
/// </summary>
public sealed class SimulatedConnection(string id, SimulatedJournal journal, int inFlight = 0) : IConnectionPort
{
    private readonly Lock _gate = new();
    private int _inFlight = inFlight;
    private bool _closeRequested;
    private bool _goingAway;
    private int _aborts;
    private EndWatch _end;

    public string Id { get; } = id;
    public string Remote => "sim/" + Id;
    public int InFlight { get { lock (_gate) return _inFlight; } }

    /// <summary>Ended after it was accepted (a refused connection never was).</summary>
    public bool HasEnded { get { lock (_gate) return End is not (ConnectionEnd.Open or ConnectionEnd.Refused); } }

    /// <summary>As Kestrel's: the actor is told where the connection ends, or at once if it has ended.</summary>
    public void TellWhenEnded(IActorRef actor) => _end.TellWhenEnded(actor);

    /// <summary>Injects a crash: the connection actor's call to <see cref="RequestClose"/> throws.</summary>
    public bool ThrowOnRequestClose { get; init; }

    /// <summary>Injects a crash: the connection actor's call to <see cref="GoAway"/> (the announce) throws.</summary>
    public bool ThrowOnGoAway { get; init; }

    /// <summary>Holds the connection actor inside <see cref="GoAway"/> (the announce) until released: it stays busy while messages queue up.</summary>
    public SemaphoreSlim? HoldGoAway { get; init; }

    /// <summary>The virtual time the connection ended, once it has.</summary>
    public DateTimeOffset? ClosedAt { get; private set; }

    /// <summary>How it ended.</summary>
    public ConnectionEnd End { get; private set; }

    /// <summary>How many times <see cref="Abort"/> was called (forced, or closed by a stopping actor).</summary>
    public int Aborts => Volatile.Read(ref _aborts);

    public IReadOnlyList<JournalEntry> RequestCloseCalls => Calls("request-close");
    public IReadOnlyList<JournalEntry> GoAwayCalls => Calls("go-away");
    public IReadOnlyList<JournalEntry> AbortCalls => Calls("abort");

    public void GoAway()
    {
        journal.Record($"conn {Id} go-away");
        if (ThrowOnGoAway) throw new InvalidOperationException($"simulated crash in GoAway of {Id}");
        HoldGoAway?.Wait(TimeSpan.FromSeconds(10));
        lock (_gate) _goingAway = true;
    }

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
        if (idle) Finish(ConnectionEnd.ClosedIdle);
    }

    /// <summary>How long it has been idle when asked (default: long enough for any quiet period).</summary>
    public TimeSpan IdleFor { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Long-lived streams the connection carries (a WebSocket, an event stream); they hold it open.</summary>
    public int Streams { get; init; }

    public IReadOnlyList<JournalEntry> EndStreamsCalls => Calls("end-streams");

    public void EndStreams() => journal.Record($"conn {Id} end-streams");

    /// <summary>The connection came while its listener refused connections: it never reached the gateway.</summary>
    public void Refuse()
    {
        journal.Record($"conn {Id} refused");
        lock (_gate) End = ConnectionEnd.Refused;
    }

    public void Abort(string reason)
    {
        Interlocked.Increment(ref _aborts);
        journal.Record($"conn {Id} abort");
        Finish(ConnectionEnd.Aborted, reason);
    }

    /// <summary>One in-flight request ends; a connection asked to close or to go away then ends.</summary>
    public void FinishRequest()
    {
        bool end;
        lock (_gate)
        {
            if (End != ConnectionEnd.Open) return; // the response was cut: the connection is gone already
            _inFlight--;
            end = _inFlight == 0 && (_closeRequested || _goingAway);
        }
        if (end) Finish(ConnectionEnd.ClosedAfterResponse);
    }

    private void Finish(ConnectionEnd how, string? reason = null)
    {
        lock (_gate)
        {
            // Only the first end counts, as with a real socket.
            if (End != ConnectionEnd.Open) return;
            End = how;
            ClosedAt = journal.Clock.Now;
        }
        journal.Record($"conn {Id} closed ({Describe(how, reason)})");
        _end.End();
    }

    private static string Describe(ConnectionEnd how, string? reason) => how switch
    {
        ConnectionEnd.ClosedIdle => "closed idle",
        ConnectionEnd.ClosedAfterResponse => "closed after last response",
        _ => "aborted: " + reason,
    };

    private List<JournalEntry> Calls(string what) =>
        [.. journal.Entries.Where(e => e.Event == $"conn {Id} {what}")];
}
