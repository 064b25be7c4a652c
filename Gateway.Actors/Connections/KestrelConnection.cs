using Akka.Actor;
using Gateway.Configuration;
using Gateway.Listeners;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Gateway.Connections;

/// <summary>
/// A Kestrel connection as its <see cref="ConnectionActor"/> sees it. Requests update its counters lock-free; it is
/// closed only in a way that tells the client (<see cref="GracefulClose"/>), and its long-lived streams follow the
/// drain (<see cref="ConnectionStreams"/>). Its clock is its listener's.
/// </summary>
internal sealed class KestrelConnection : IConnectionPort
{
    /// <summary>The key under which the connection stores itself in Kestrel's connection items.</summary>
    internal static readonly object ItemsKey = new();

    /// <summary>Where a TLS connection waits, from its arrival before the handshake until it is registered.</summary>
    internal static readonly object ArrivingKey = new();

    private static readonly Func<object, Task> OnResponseStarting = state =>
    {
        var connection = (KestrelConnection)state;
        connection._close.ResponseStarting(connection.Listener.GoingAway);
        return Task.CompletedTask;
    };

    private static readonly Func<object, Task> OnResponseCompleted = state =>
    {
        var connection = (KestrelConnection)state;
        Volatile.Write(ref connection._idleSince, connection._time.GetTimestamp());
        connection._close.ResponseCompleted();
        return Task.CompletedTask;
    };

    private readonly ConnectionContext _context;
    private readonly TimeProvider _time;
    private readonly GracefulClose _close;
    private readonly ConnectionStreams _streams;
    private readonly IConnectionLifetimeNotificationFeature? _lifetime;
    // Told where the connection ends: a thread-pool hop per connection is what 10,000 closing at once can least afford.
    private EndWatch _end;
    private int _inFlight;
    private long _idleSince;
    private long _requests;
    private int _aborted;

    public KestrelConnection(ConnectionContext context, ListenerHandle listener)
    {
        _context = context;
        Listener = listener;
        _time = listener.Time;
        _lifetime = context.Features.Get<IConnectionLifetimeNotificationFeature>();
        _close = new GracefulClose(_lifetime, _time);
        _streams = new ConnectionStreams(listener.Counters);
        _idleSince = _time.GetTimestamp();
        OpenedAt = _time.GetUtcNow();
    }

    /// <summary>
    /// A connection Kestrel began serving, given its items (<see cref="ConnectionItems"/>, before anything is kept
    /// there) and counted as arrived: until it speaks or closes, its listener's unbind waits for it.
    /// </summary>
    internal static KestrelConnection Arrive(ConnectionContext context, ListenerHandle listener)
    {
        var connection = new KestrelConnection(context, listener);
        ConnectionItems.Install(context);
        listener.ConnectionArrived(connection);
        return connection;
    }

    public ListenerHandle Listener { get; }
    public string Id => _context.ConnectionId;
    public string Remote => _context.RemoteEndPoint?.ToString() ?? "?";

    /// <summary>When Kestrel accepted this connection (for the age of a forced connection in the log).</summary>
    public DateTimeOffset OpenedAt { get; }

    public override string ToString() =>
        $"{Id} from {Remote}, open {(_time.GetUtcNow() - OpenedAt).TotalSeconds:0.0}s, {InFlight} request(s) in flight{(IsHttp2 ? " (HTTP/2)" : "")}";

    public int InFlight => Volatile.Read(ref _inFlight);
    public bool HasEnded => _end.HasEnded;

    public void TellWhenEnded(IActorRef actor) => _end.TellWhenEnded(actor);

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

    private bool CloseWanted => _close.Wanted || Listener.GoingAway;

    /// <summary>
    /// The announce: go away on the next response. Nothing is closed here: an HTTP/1.1 response that starts from now on
    /// says <c>Connection: close</c> (idle connections stay open until then, or the drain); HTTP/2 gets the two-phase
    /// GOAWAY now — or, accepted during the announce window, after its first stream, so that it is served before it
    /// is told to leave.
    /// </summary>
    public void GoAway()
    {
        _close.Want();
        if (IsHttp2 && (!ArrivedGoingAway || Volatile.Read(ref _requests) > 0)) _close.BeginGoAway(Http2Output);
    }

    /// <summary>
    /// The drain: close gracefully. HTTP/1.1 idle (no response under way): Kestrel closes it now, FIN first. Busy: the
    /// response says <c>Connection: close</c> if it has not started; if it has, the connection waits to be idle
    /// (<see cref="CloseDeferred"/>) and its actor asks again once it is quiet, so that a close never follows a
    /// response that did not announce it. HTTP/2: the two-phase GOAWAY. Streams follow their route's policy.
    /// </summary>
    public void RequestClose()
    {
        _close.Want();
        if (IsHttp2) _close.BeginGoAway(Http2Output);
        else _close.CloseIfIdle();
        _streams.DrainStarted();
    }

    public Task? CloseDeferred => _close.Deferred;

    public int Streams => _streams.Count;

    /// <summary>The deadline is near: every stream says goodbye now, whatever its policy; HTTP/2's final GOAWAY waits no longer.</summary>
    public void EndStreams()
    {
        _close.StopWaitingForAck();
        _streams.EndAll();
    }

    /// <summary>A request became a long-lived stream; a drain already under way applies to it at once.</summary>
    internal LongLivedStream OpenStream(StreamSettings settings) => _streams.Open(settings);

    public void Abort(string reason)
    {
        // Counted once: the actor's PostStop may abort again before Kestrel has reported the close.
        if (_end.HasEnded || Interlocked.Exchange(ref _aborted, 1) == 1) return;
        Listener.Counters.ConnectionForced();
        _context.Abort(new ConnectionAbortedException(reason));
    }

    /// <summary>
    /// An HTTP/1.1 request arrived (before anything is decided about it): its response, when it starts, says
    /// <c>Connection: close</c> if a close is wanted by then, and the connection is idle only once that response is
    /// sent in full. Two callbacks on lists Kestrel keeps per connection; HTTP/2 needs neither.
    /// </summary>
    internal void RequestArrived(HttpResponse response)
    {
        if (IsHttp2) return;
        _close.ResponseArrived();
        response.OnStarting(OnResponseStarting, this);
        response.OnCompleted(OnResponseCompleted, this);
    }

    /// <summary>A request (or HTTP/2 stream) started on this connection.</summary>
    internal void RequestStarted()
    {
        Listener.Counters.RequestStarted(Interlocked.Increment(ref _inFlight) == 1);
        // HTTP/2: a connection told to go away before its first stream is told now (read per stream, so that one
        // accepted a moment before the announce reached its actor is told too).
        if (!IsHttp2) return;
        Interlocked.Increment(ref _requests);
        if (CloseWanted) _close.BeginGoAway(Http2Output);
    }

    internal void RequestEnded()
    {
        if (IsHttp2) Volatile.Write(ref _idleSince, _time.GetTimestamp());
        Listener.Counters.RequestEnded(Interlocked.Decrement(ref _inFlight) == 0);
    }

    /// <summary>How long since the connection's last response was sent in full (HTTP/2: since its last stream ended).</summary>
    public TimeSpan IdleFor => (IsHttp2 ? InFlight > 0 : _close.Responding)
        ? TimeSpan.Zero
        : _time.GetElapsedTime(Volatile.Read(ref _idleSince));

    /// <summary>Kestrel is done with the connection: it is no longer open, and its actor learns it has ended.</summary>
    internal void Ended()
    {
        Listener.Counters.ConnectionClosed();
        _end.End();
    }
}
