namespace Gateway.Listeners;

/// <summary>
/// What one listener has carried, lock-free, for the admin API and the metrics: connections open, active and idle,
/// requests in flight and answered, long-lived streams, and the connections that were forced, refused over the
/// limit or turned away by the TLS guard. Requests and connections count themselves; nothing here waits.
/// </summary>
internal sealed class ListenerCounters
{
    private readonly long[] _tlsRefused = new long[Enum.GetValues<Tls.TlsRefusal>().Length];
    private long _open;
    private long _active;
    private long _inFlight;
    private long _requests;
    private long _accepted;
    private long _forced;
    private long _streams;
    private long _overLimit;

    public long OpenConnections => Interlocked.Read(ref _open);
    public long ActiveConnections => Interlocked.Read(ref _active);
    public long IdleConnections => Math.Max(0, OpenConnections - ActiveConnections);
    public long InFlightRequests => Interlocked.Read(ref _inFlight);

    /// <summary>Requests answered since this process started (tcp: connections relayed to their end).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    public long AcceptedConnections => Interlocked.Read(ref _accepted);

    /// <summary>Long-lived streams in flight (WebSocket upgrades, server-sent events, streaming gRPC calls).</summary>
    public long Streams => Interlocked.Read(ref _streams);

    /// <summary>Connections this listener's drain had to force (closed at the deadline).</summary>
    public long ForcedConnections => Interlocked.Read(ref _forced);

    /// <summary>Connections closed on arrival because <see cref="Configuration.LimitSettings.MaxConnections"/> were open.</summary>
    public long ConnectionsOverLimit => Interlocked.Read(ref _overLimit);

    /// <summary>Connections closed before their first request, by reason (TLS listeners only; since start).</summary>
    public long TlsRefused(Tls.TlsRefusal reason) => Interlocked.Read(ref _tlsRefused[(int)reason]);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _accepted);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _open);

    internal void ConnectionForced() => Interlocked.Increment(ref _forced);

    internal void ConnectionOverLimit() => Interlocked.Increment(ref _overLimit);

    internal void TlsRefusal(Tls.TlsRefusal reason) => Interlocked.Increment(ref _tlsRefused[(int)reason]);

    internal void StreamStarted() => Interlocked.Increment(ref _streams);

    internal void StreamEnded() => Interlocked.Decrement(ref _streams);

    internal void RequestStarted(bool connectionBecameActive)
    {
        Interlocked.Increment(ref _inFlight);
        if (connectionBecameActive) Interlocked.Increment(ref _active);
    }

    internal void RequestEnded(bool connectionBecameIdle)
    {
        Interlocked.Decrement(ref _inFlight);
        Interlocked.Increment(ref _requests);
        if (connectionBecameIdle) Interlocked.Decrement(ref _active);
    }
}
