namespace Gateway.Listeners;

/// <summary>
/// What a <see cref="ListenerActor"/> may do to its listening socket. In production the socket is bound by the
/// gateway and served by Kestrel (<see cref="ListenerHandle"/>); simulations implement it without sockets.
/// </summary>
public interface IListenerPort
{
    /// <summary>The configured listener name.</summary>
    string Name { get; }

    /// <summary>From now on every connection, new or live, goes away after its next response (announce window).</summary>
    void GoAway();

    /// <summary>The announce was taken back: new requests no longer close their connections.</summary>
    void CancelGoAway();

    /// <summary>
    /// Stop accepting new connections without closing the socket (a successor may still accept on it). Completes once
    /// every connection accepted before is counted in <see cref="ConnectionsRegistered"/>.
    /// </summary>
    Task StopAcceptingAsync();

    /// <summary>
    /// After <see cref="StopAcceptingAsync"/>: completes once no connection accepted before is still silent (each spoke,
    /// and is counted in <see cref="ConnectionsRegistered"/>, or was closed). The drain of the listener waits for it.
    /// </summary>
    Task SilentSettled => Task.CompletedTask;

    /// <summary>
    /// Accept again after <see cref="StopAcceptingAsync"/>: on the socket that was kept, or on one bound anew at the
    /// same address when it was closed. Fails (and nothing changes) when the address cannot be bound.
    /// </summary>
    Task ResumeAcceptingAsync();

    /// <summary>
    /// How many connections this port has passed towards its actor so far (they travel through the supervisor):
    /// a listener whose unbind completed is drained only when it has received them all.
    /// </summary>
    long ConnectionsRegistered { get; }
}
