using Gateway.Configuration;
using Gateway.Listeners;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Gateway.Connections;

/// <summary>
/// A Kestrel connection as its <see cref="ConnectionActor"/> sees it. Requests update its counters lock-free;
/// closing uses Kestrel's own graceful close (<c>Connection: close</c> on HTTP/1.1, GOAWAY on HTTP/2).
/// </summary>
internal sealed class KestrelConnection : IConnectionPort
{
    /// <summary>The key under which the connection stores itself in Kestrel's connection items.</summary>
    internal static readonly object ItemsKey = new();

    /// <summary>Where a TLS connection waits, from its arrival before the handshake until it is registered.</summary>
    internal static readonly object ArrivingKey = new();

    private readonly ConnectionContext _context;
    private readonly IConnectionLifetimeNotificationFeature? _lifetime;
    // Continuations run where the connection ends: the only one is the actor's Tell, and a thread-pool hop per
    // connection is what 10,000 closing at once can least afford.
    private readonly TaskCompletionSource _closed = new();
    private readonly List<LongLivedStream> _streams = [];
    private int _inFlight;
    private long _lastRequestEnded = System.Diagnostics.Stopwatch.GetTimestamp();
    private int _goAway;
    private int _aborted;
    private bool _draining;
    private bool _streamsEnding;

    public KestrelConnection(ConnectionContext context, ListenerHandle listener)
    {
        _context = context;
        Listener = listener;
        _lifetime = context.Features.Get<IConnectionLifetimeNotificationFeature>();
    }

    public ListenerHandle Listener { get; }
    public string Id => _context.ConnectionId;
    public string Remote => _context.RemoteEndPoint?.ToString() ?? "?";

    public override string ToString() =>
        $"{Id} from {Remote}, open {(DateTimeOffset.UtcNow - OpenedAt).TotalSeconds:0.0}s, {InFlight} request(s) in flight{(IsHttp2 ? " (HTTP/2)" : "")}";
    public int InFlight => Volatile.Read(ref _inFlight);
    public Task Closed => _closed.Task;

    /// <summary>Fires when Kestrel or the drain asked this connection to close.</summary>
    public CancellationToken CloseRequested => _lifetime?.ConnectionClosedRequested ?? CancellationToken.None;

    /// <summary>The connection was handed to the actor tree (its end must be reported).</summary>
    internal bool Registered { get; set; }

    /// <summary>The client spoke HTTP/2 (prior knowledge); set before the first request.</summary>
    public bool IsHttp2 { get; set; }

    public void GoAway()
    {
        Volatile.Write(ref _goAway, 1);
        // HTTP/2 gets GOAWAY at once (its streams finish); busy HTTP/1.1 closes after its response;
        // idle HTTP/1.1 stays open until its next request (closed after it) or the unbind.
        if (IsHttp2 || InFlight > 0) AskKestrelToClose();
    }

    /// <summary>The drain started: Kestrel closes the connection gracefully; its streams follow their route's policy.</summary>
    public void RequestClose()
    {
        AskKestrelToClose();
        foreach (var stream in StreamsWhen(() => _draining = true)) stream.DrainStarted();
    }

    public int Streams
    {
        get
        {
            lock (_streams) return _streams.Count;
        }
    }

    /// <summary>The deadline is near: every stream says goodbye now, whatever its policy.</summary>
    public void EndStreams()
    {
        foreach (var stream in StreamsWhen(() => _streamsEnding = true)) stream.SayGoodbye();
    }

    /// <summary>A request became a long-lived stream; a drain already under way applies to it at once.</summary>
    internal LongLivedStream OpenStream(StreamSettings settings)
    {
        var stream = new LongLivedStream(this, settings);
        bool draining, ending;
        lock (_streams)
        {
            _streams.Add(stream);
            (draining, ending) = (_draining, _streamsEnding);
        }
        Listener.StreamStarted();
        if (ending) stream.SayGoodbye();
        else if (draining) stream.DrainStarted();
        return stream;
    }

    internal void StreamEnded(LongLivedStream stream)
    {
        lock (_streams) _streams.Remove(stream);
        Listener.StreamEnded();
    }

    private LongLivedStream[] StreamsWhen(Action mark)
    {
        // Copied under the lock, told outside it: a goodbye runs the relay's callbacks synchronously.
        lock (_streams)
        {
            mark();
            return _streams.Count == 0 ? [] : [.. _streams];
        }
    }

    private void AskKestrelToClose() => _lifetime?.RequestClose();

    public void Abort(string reason)
    {
        // Counted once: the actor's PostStop may abort again before Kestrel has reported the close.
        if (_closed.Task.IsCompleted || Interlocked.Exchange(ref _aborted, 1) == 1) return;
        Listener.ConnectionForced();
        _context.Abort(new ConnectionAbortedException(reason));
    }

    /// <summary>When Kestrel accepted this connection (for the age of a forced connection in the log).</summary>
    public DateTimeOffset OpenedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>A request (or HTTP/2 stream) started on this connection.</summary>
    internal void RequestStarted()
    {
        Listener.RequestStarted(Interlocked.Increment(ref _inFlight) == 1);
        // Read on every request so that a connection accepted a moment before the announce reached its actor
        // is told to go away too.
        if (Volatile.Read(ref _goAway) == 1 || Listener.GoingAway) AskKestrelToClose();
    }

    internal void RequestEnded()
    {
        Volatile.Write(ref _lastRequestEnded, System.Diagnostics.Stopwatch.GetTimestamp());
        Listener.RequestEnded(Interlocked.Decrement(ref _inFlight) == 0);
    }

    public TimeSpan IdleFor => InFlight > 0 ? TimeSpan.Zero : System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _lastRequestEnded));

    internal void MarkClosed() => _closed.TrySetResult();
}
