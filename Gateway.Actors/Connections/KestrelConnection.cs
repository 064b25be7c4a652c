using Gateway.Configuration;
using Gateway.Listeners;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Gateway.Connections;

/// <summary>
/// A Kestrel connection as its <see cref="ConnectionActor"/> sees it. Requests update its counters lock-free;
/// closing uses Kestrel's own graceful close (<c>Connection: close</c> on HTTP/1.1, GOAWAY on HTTP/2), and only in a
/// way that tells the client: Kestrel asked to close while an HTTP/1.1 response is under way ends keep-alive after
/// that response without a word (measured under hot restarts: a busy keep-alive client then read a closed socket on
/// its next request), and Kestrel alone sends a single GOAWAY when no stream is active at that moment.
/// </summary>
internal sealed class KestrelConnection : IConnectionPort
{
    /// <summary>The key under which the connection stores itself in Kestrel's connection items.</summary>
    internal static readonly object ItemsKey = new();

    /// <summary>Where a TLS connection waits, from its arrival before the handshake until it is registered.</summary>
    internal static readonly object ArrivingKey = new();

    /// <summary>Between the two GOAWAYs of HTTP/2: time for the client to see the first and stop opening streams.</summary>
    internal static readonly TimeSpan FinalGoAwayAfter = TimeSpan.FromMilliseconds(250);

    private static readonly Func<object, Task> OnResponseStarting = state =>
    {
        ((KestrelConnection)state).ResponseStarting();
        return Task.CompletedTask;
    };

    private static readonly Func<object, Task> OnResponseCompleted = state =>
    {
        ((KestrelConnection)state).ResponseCompleted();
        return Task.CompletedTask;
    };

    private readonly ConnectionContext _context;
    private readonly IConnectionLifetimeNotificationFeature? _lifetime;
    // Continuations run where the connection ends: the only one is the actor's Tell, and a thread-pool hop per
    // connection is what 10,000 closing at once can least afford.
    private readonly TaskCompletionSource _closed = new();
    private readonly List<LongLivedStream> _streams = [];
    private int _inFlight;
    private int _responding;
    private long _idleSince = System.Diagnostics.Stopwatch.GetTimestamp();
    private long _requests;
    private int _closeWanted;
    private int _closeDelivered;
    private int _goAwayStarted;
    private TaskCompletionSource? _deferred;
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

    /// <summary>The client spoke HTTP/2 (prior knowledge or ALPN); set before the first request.</summary>
    public bool IsHttp2 { get; set; }

    /// <summary>An HTTP/2 connection's output, through which the first GOAWAY is sent.</summary>
    internal CoalescingOutput? Http2Output { get; set; }

    /// <summary>Accepted while its listener was announcing the drain (the window exists so that it is still served).</summary>
    internal bool ArrivedGoingAway { get; set; }

    /// <summary>
    /// The announce: go away on the next response. Nothing is closed here: an HTTP/1.1 response that starts from now on
    /// says <c>Connection: close</c> (idle connections stay open until then, or the drain); HTTP/2 gets the two-phase
    /// GOAWAY now — or, accepted during the announce window, after its first stream, so that it is served before it
    /// is told to leave.
    /// </summary>
    public void GoAway()
    {
        WantClose();
        if (IsHttp2 && (!ArrivedGoingAway || Volatile.Read(ref _requests) > 0)) BeginGoAway();
    }

    /// <summary>
    /// The drain: close gracefully. HTTP/1.1 idle (no response under way): Kestrel closes it now, FIN first. Busy: the
    /// response says <c>Connection: close</c> if it has not started; if it has, the connection waits to be idle
    /// (<see cref="CloseDeferred"/>) and its actor asks again once it is quiet, so that a close never follows a
    /// response that did not announce it. HTTP/2: the two-phase GOAWAY. Streams follow their route's policy.
    /// </summary>
    public void RequestClose()
    {
        WantClose();
        if (IsHttp2) BeginGoAway();
        else CloseIfIdle();
        foreach (var stream in StreamsWhen(() => _draining = true)) stream.DrainStarted();
    }

    /// <summary>
    /// Null while nothing waits (closed or about to be, told on a response, or never asked); else completes when the
    /// HTTP/1.1 response that was under way when the drain asked has been sent in full.
    /// </summary>
    public Task? CloseDeferred => Volatile.Read(ref _closeDelivered) == 1 ? null : Volatile.Read(ref _deferred)?.Task;

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

    private void WantClose() => Interlocked.Exchange(ref _closeWanted, 1);

    private bool CloseWanted => Volatile.Read(ref _closeWanted) == 1 || Listener.GoingAway;

    private void CloseIfIdle()
    {
        if (Volatile.Read(ref _closeDelivered) == 1) return;
        if (Volatile.Read(ref _deferred) is null)
            Interlocked.CompareExchange(ref _deferred, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);
        // Read after the deferral is published; ResponseCompleted counts down before it reads it: one sees the other.
        if (Volatile.Read(ref _responding) == 0) Deliver();
    }

    /// <summary>The close is Kestrel's from here: it ends the connection after the response it starts next, or now if idle.</summary>
    private void Deliver()
    {
        Volatile.Write(ref _closeDelivered, 1);
        _lifetime?.RequestClose();
    }

    /// <summary>
    /// HTTP/2, once: GOAWAY(2^31−1) first, so that streams the client sent meanwhile are still served; after
    /// <see cref="FinalGoAwayAfter"/>, Kestrel's own graceful close sends the final GOAWAY (the last stream it took)
    /// when its streams are done.
    /// </summary>
    private void BeginGoAway()
    {
        if (Interlocked.Exchange(ref _goAwayStarted, 1) == 1) return;
        _ = GoAwayInTwoPhasesAsync();
    }

    private async Task GoAwayInTwoPhasesAsync()
    {
        try
        {
            if (Http2Output is { } output && await output.SendGoAwayAsync().ConfigureAwait(false))
                await Task.Delay(FinalGoAwayAfter).ConfigureAwait(false);
        }
        finally
        {
            Deliver();
        }
    }

    public void Abort(string reason)
    {
        // Counted once: the actor's PostStop may abort again before Kestrel has reported the close.
        if (_closed.Task.IsCompleted || Interlocked.Exchange(ref _aborted, 1) == 1) return;
        Listener.ConnectionForced();
        _context.Abort(new ConnectionAbortedException(reason));
    }

    /// <summary>When Kestrel accepted this connection (for the age of a forced connection in the log).</summary>
    public DateTimeOffset OpenedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// An HTTP/1.1 request arrived (before anything is decided about it): its response, when it starts, says
    /// <c>Connection: close</c> if a close is wanted by then, and the connection is idle only once that response is
    /// sent in full. Two callbacks on lists Kestrel keeps per connection; HTTP/2 needs neither.
    /// </summary>
    internal void RequestArrived(HttpResponse response)
    {
        if (IsHttp2) return;
        Interlocked.Increment(ref _responding);
        response.OnStarting(OnResponseStarting, this);
        response.OnCompleted(OnResponseCompleted, this);
    }

    private void ResponseStarting()
    {
        if (CloseWanted && Volatile.Read(ref _closeDelivered) == 0) Deliver();
    }

    private void ResponseCompleted()
    {
        Volatile.Write(ref _idleSince, System.Diagnostics.Stopwatch.GetTimestamp());
        if (Interlocked.Decrement(ref _responding) == 0) Volatile.Read(ref _deferred)?.TrySetResult();
    }

    /// <summary>A request (or HTTP/2 stream) started on this connection.</summary>
    internal void RequestStarted()
    {
        Listener.RequestStarted(Interlocked.Increment(ref _inFlight) == 1);
        // HTTP/2: a connection told to go away before its first stream is told now (read per stream, so that one
        // accepted a moment before the announce reached its actor is told too).
        if (!IsHttp2) return;
        Interlocked.Increment(ref _requests);
        if (CloseWanted) BeginGoAway();
    }

    internal void RequestEnded()
    {
        if (IsHttp2) Volatile.Write(ref _idleSince, System.Diagnostics.Stopwatch.GetTimestamp());
        Listener.RequestEnded(Interlocked.Decrement(ref _inFlight) == 0);
    }

    /// <summary>How long since the connection's last response was sent in full (HTTP/2: since its last stream ended).</summary>
    public TimeSpan IdleFor => (IsHttp2 ? InFlight : Volatile.Read(ref _responding)) > 0
        ? TimeSpan.Zero
        : System.Diagnostics.Stopwatch.GetElapsedTime(Volatile.Read(ref _idleSince));

    internal void MarkClosed() => _closed.TrySetResult();
}
