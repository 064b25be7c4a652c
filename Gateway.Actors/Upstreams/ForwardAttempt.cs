namespace Gateway.Upstreams;

/// <summary>
/// One try at forwarding a request, as the HTTP/1.x connections it is written on see it: whether its head reached
/// an endpoint. It flows with the request (an <see cref="AsyncLocal{T}"/> set around one forwarder call), so the
/// connection stream (<see cref="Http1ConnectionStream"/>) knows which request a write belongs to without any lookup.
/// </summary>
internal sealed class ForwardAttempt
{
    private static readonly AsyncLocal<ForwardAttempt?> Flowing = new();
    private int _headsSent;
    private int _headsFailed;

    /// <summary>The attempt the calling code runs for, or null outside a forwarder call (health checks, WebSocket handshakes).</summary>
    public static ForwardAttempt? Current => Flowing.Value;

    /// <summary>Starts an attempt for the rest of the calling async flow (until <see cref="End"/>).</summary>
    public static ForwardAttempt Begin() => Flowing.Value = new ForwardAttempt();

    public static void End() => Flowing.Value = null;

    /// <summary>
    /// No endpoint received the request's whole head: every connection it was tried on refused or failed the write
    /// that carries it. (SocketsHttpHandler writes an HTTP/1.x head in one write, before a byte of the body; an
    /// endpoint cannot act on a head it did not get to its end.)
    /// </summary>
    public bool HeadNeverSent => Volatile.Read(ref _headsFailed) > 0 && Volatile.Read(ref _headsSent) == 0;

    internal void HeadSent() => Interlocked.Increment(ref _headsSent);

    internal void HeadFailed() => Interlocked.Increment(ref _headsFailed);
}
