namespace Gateway.Upstreams;

/// <summary>
/// One try at forwarding a request, as the HTTP/1.x connections it is written on see it: whether its head reached
/// an endpoint. It flows with the request (an <see cref="AsyncLocal{T}"/> set around one forwarder call), so the
/// connection stream (<see cref="Http1ConnectionStream"/>) knows which request a write belongs to without any lookup:
/// SocketsHttpHandler picks the pooled connection and writes the head to its stream with neither the request nor a
/// token, so nothing passed explicitly reaches it. Only requests a refused head matters to carry one.
/// </summary>
/// <remarks>
/// The rule: a request whose method is not idempotent is sent again only when no endpoint can have received its
/// whole head, that is when every write carrying it was refused before a byte went out (the connection was seen
/// closed) or failed before it ended (a reset, a broken pipe: its last bytes, the blank line that ends a head, never
/// left the gateway). A head an endpoint read only part of is no request it can act on. A head whose write completed
/// counts as received, even if the endpoint closed without reading it: the gateway cannot tell the difference.
/// </remarks>
internal sealed class ForwardAttempt
{
    private static readonly AsyncLocal<ForwardAttempt?> Flowing = new();
    private int _headsSent;
    private int _headsFailed;
    private int _headsWriting;
    private TaskCompletionSource? _settled;

    /// <summary>
    /// The attempt the calling code runs for, or null outside a forwarder call (health checks, WebSocket handshakes)
    /// and for a request whose head, refused, would change nothing (<see cref="Routing.UpstreamRetry.TracksHead"/>).
    /// </summary>
    public static ForwardAttempt? Current => Flowing.Value;

    /// <summary>Starts an attempt for the rest of the calling async flow (until <see cref="End"/>).</summary>
    public static ForwardAttempt Begin() => Flowing.Value = new ForwardAttempt();

    public static void End() => Flowing.Value = null;

    /// <summary>
    /// No endpoint received the request's whole head: every connection it was tried on refused or failed the write
    /// that carries it, and none is still under way. (SocketsHttpHandler writes an HTTP/1.x head in one write, and
    /// YARP flushes it before a byte of the body, so that write ends with the head's end.)
    /// </summary>
    public bool HeadNeverSent => Volatile.Read(ref _headsFailed) > 0 && Volatile.Read(ref _headsSent) == 0 && Volatile.Read(ref _headsWriting) == 0;

    /// <summary>
    /// Completes once no write of a head is under way (or after <paramref name="bound"/>, when one still is and the
    /// head then counts as sent). A request can fail on a read (the endpoint's reset) while the write of its head is
    /// still pending; the handler disposes the connection, which ends the write, and only then is its outcome known.
    /// </summary>
    public async Task SettledAsync(TimeSpan bound, TimeProvider time)
    {
        if (Volatile.Read(ref _headsWriting) == 0) return;
        var settled = LazyInitializer.EnsureInitialized(ref _settled, () => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Volatile.Read(ref _headsWriting) == 0) return;
        try
        {
            await settled.Task.WaitAsync(bound, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }

    internal void HeadWriting() => Interlocked.Increment(ref _headsWriting);

    internal void HeadWritten(bool whole)
    {
        Interlocked.Increment(ref whole ? ref _headsSent : ref _headsFailed);
        if (Interlocked.Decrement(ref _headsWriting) == 0) Volatile.Read(ref _settled)?.TrySetResult();
    }

    internal void HeadRefused() => Interlocked.Increment(ref _headsFailed);
}
