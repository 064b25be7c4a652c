using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Gateway.Listeners;

/// <summary>
/// One configured listener in production: the socket the gateway bound (Kestrel serves it through
/// <c>ListenHandle</c> and never owns it; a tcp listener's accept loop is <see cref="TcpAcceptLoop"/>), the accept
/// loop on it, and lock-free counters for the admin API.
/// </summary>
public sealed class ListenerHandle : IListenerPort
{
    private Socket _socket;
    private bool _closed;
    private OwnedSocketAcceptLoop? _acceptLoop;
    private TcpAcceptLoop? _tcpLoop;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Connections.KestrelConnection, byte> _silent = new();
    private int _accepting = 1;
    private int _goingAway;
    private int _handedOff;
    private long _open;
    private long _active;
    private long _inFlight;
    private long _requests;
    private long _accepted;
    private long _forced;
    private long _streams;
    private readonly long[] _tlsRefused = new long[Enum.GetValues<Tls.TlsRefusal>().Length];
    private long _acceptedByLoop;
    private long _arrived;
    private long _registered;
    private long _admitted;
    private long _overLimit;

    internal ListenerHandle(string name, Socket socket)
    {
        Name = name;
        _socket = socket;
        Address = (IPEndPoint)socket.LocalEndPoint!;
        FileHandle = (ulong)socket.Handle;
    }

    public string Name { get; }

    /// <summary>Served by Kestrel (http) or relayed byte for byte to one upstream (tcp).</summary>
    public Configuration.ListenerProtocol Protocol { get; internal set; }

    /// <summary>Tcp only: during a drain, close connections that carried no byte for this long.</summary>
    public TimeSpan? IdleTimeout { get; internal set; }

    /// <summary>The owned listening socket as it is now (a drain taken back may have bound a new one).</summary>
    internal Socket Socket => Volatile.Read(ref _socket);

    /// <summary>The address actually bound (port 0 in the config becomes a real port here).</summary>
    public IPEndPoint Address { get; }

    /// <summary>The first socket's file descriptor, as Kestrel's <c>ListenHandle</c> was given it (the server's key for this listener).</summary>
    public ulong FileHandle { get; }

    public bool Accepting => Volatile.Read(ref _accepting) == 1;

    /// <summary>Set by the announce: a request on any connection of this listener closes it after its response.</summary>
    public bool GoingAway => Volatile.Read(ref _goingAway) == 1;

    public void GoAway() => Volatile.Write(ref _goingAway, 1);

    public void CancelGoAway() => Volatile.Write(ref _goingAway, 0);
    public long OpenConnections => Interlocked.Read(ref _open);
    public long ActiveConnections => Interlocked.Read(ref _active);
    public long IdleConnections => Math.Max(0, OpenConnections - ActiveConnections);
    public long InFlightRequests => Interlocked.Read(ref _inFlight);

    /// <summary>Requests answered since this process started (tcp: connections relayed to their end).</summary>
    public long Requests => Interlocked.Read(ref _requests);
    public long AcceptedConnections => Interlocked.Read(ref _accepted);

    /// <summary>Long-lived streams in flight (WebSocket upgrades, server-sent events).</summary>
    public long Streams => Interlocked.Read(ref _streams);

    internal void StreamStarted() => Interlocked.Increment(ref _streams);

    internal void StreamEnded() => Interlocked.Decrement(ref _streams);

    /// <summary>Connections this listener's drain had to force (closed at the deadline).</summary>
    public long ForcedConnections => Interlocked.Read(ref _forced);

    internal void ConnectionForced() => Interlocked.Increment(ref _forced);

    /// <summary>The certificates this listener serves, when it is a TLS listener.</summary>
    public Tls.CertificateStore? Tls { get; internal set; }

    /// <summary>Connections closed before their first request, by reason (TLS listeners only; since start).</summary>
    public long TlsRefused(Tls.TlsRefusal reason) => Interlocked.Read(ref _tlsRefused[(int)reason]);

    internal void CountTlsRefusal(Tls.TlsRefusal reason) => Interlocked.Increment(ref _tlsRefused[(int)reason]);

    /// <summary>Kestrel's accept loop on this listener's socket.</summary>
    internal OwnedSocketAcceptLoop CreateAcceptLoop(SocketConnectionContextFactory connections) =>
        _acceptLoop = new OwnedSocketAcceptLoop(this, connections);

    /// <summary>Connections this listener has passed to its actor; it is drained only when it has seen them all.</summary>
    public long ConnectionsRegistered => Interlocked.Read(ref _registered);

    /// <summary>How long a connection accepted just before the unbind may stay silent, from its arrival, before it is closed.</summary>
    internal static readonly TimeSpan FirstBytesGrace = TimeSpan.FromSeconds(1);

    private Task _silentSettled = Task.CompletedTask;

    /// <summary>A bound on each wait of the unbind, so that a drain never hangs on it.</summary>
    private static readonly TimeSpan UnbindStepLimit = TimeSpan.FromSeconds(2);

    /// <summary>The gateway's own accept loop (tcp listeners) runs on this listener's socket.</summary>
    internal void Attach(TcpAcceptLoop acceptLoop) => _tcpLoop = acceptLoop;

    /// <summary>Closes the socket (a reload that binds it and is then refused gives it back).</summary>
    internal void Close()
    {
        Volatile.Write(ref _accepting, 0);
        Volatile.Write(ref _closed, true);
        _socket.Dispose();
    }

    /// <summary>The socket came from elsewhere (a previous generation, or systemd) instead of being bound here.</summary>
    public bool Adopted { get; private init; }

    /// <summary>
    /// systemd holds a copy of this socket (socket activation): closing ours would refuse nothing, so a stop keeps it,
    /// and accepting again re-uses it.
    /// </summary>
    public bool HeldBySystem { get; private init; }

    /// <summary>The listening socket is open (accepting, or kept while stopped).</summary>
    public bool SocketOpen => !Volatile.Read(ref _closed);

    /// <summary>A successor process serves this socket now: stopping must leave it open.</summary>
    public bool HandedOff => Volatile.Read(ref _handedOff) == 1;

    /// <summary>The socket's descriptor, for handing it to a successor.</summary>
    internal int Descriptor => (int)Socket.SafeHandle.DangerousGetHandle();

    internal void HandOff() => Volatile.Write(ref _handedOff, 1);

    /// <summary>
    /// Ends Kestrel's accept loop, then closes the socket so that new connections are refused — unless a successor
    /// took it over (hot restart): then the socket stays open, and the kernel's accept queue with it. Completes once
    /// every accepted connection has reached the gateway's middleware; those that have not spoken yet settle after
    /// (<see cref="SilentSettled"/>), so that a silent one (a browser's preconnect) never holds the unbind.
    /// </summary>
    public async Task StopAcceptingAsync()
    {
        if (Interlocked.Exchange(ref _accepting, 0) == 0) return;
        var handedOff = HandedOff;
        if (!handedOff && ListenQueue.StopHandshakes(_socket))
            await Task.Delay(ListenQueue.HandshakeSettle).ConfigureAwait(false);
        if (_acceptLoop is { } loop)
            await Task.WhenAny(loop.StopAsync(emptyQueue: !handedOff), Task.Delay(UnbindStepLimit)).ConfigureAwait(false);
        if (_tcpLoop is { } tcp)
            await Task.WhenAny(tcp.StopAsync(emptyQueue: !handedOff), Task.Delay(UnbindStepLimit)).ConfigureAwait(false);
        if (!handedOff && !HeldBySystem)
        {
            Volatile.Write(ref _closed, true);
            _socket.Close();
        }
        await WaitAsync(() => Interlocked.Read(ref _arrived) >= Interlocked.Read(ref _acceptedByLoop), UnbindStepLimit).ConfigureAwait(false);
        _silentSettled = SettleSilentAsync();
    }

    /// <summary>
    /// Completes once no connection accepted before the unbind is still silent: each spoke (and is in the actor tree)
    /// or was closed. The listener's drain waits for this, not its unbind.
    /// </summary>
    public Task SilentSettled => _silentSettled;

    /// <summary>
    /// A client that connected just before the unbind gets the rest of its grace (from its arrival) to send its
    /// request; one silent longer — a preconnect opened long ago — is closed at once, before any byte was read, which
    /// it may safely retry elsewhere.
    /// </summary>
    private async Task SettleSilentAsync()
    {
        while (!_silent.IsEmpty)
        {
            var now = DateTimeOffset.UtcNow;
            foreach (var silent in _silent.Keys.Where(c => now - c.OpenedAt >= FirstBytesGrace))
                silent.RequestClose();
            var next = _silent.Keys.Select(c => c.OpenedAt + FirstBytesGrace - now).Where(t => t > TimeSpan.Zero).DefaultIfEmpty(TimeSpan.FromMilliseconds(5)).Min();
            if (!await WaitAsync(() => _silent.IsEmpty, next).ConfigureAwait(false) && _silent.Keys.All(c => DateTimeOffset.UtcNow - c.OpenedAt >= FirstBytesGrace + UnbindStepLimit))
                return; // closed, but not gone within its bound: the drain does not hang on it
        }
    }

    /// <summary>
    /// Accepts again after <see cref="StopAcceptingAsync"/>: on the kept socket (its handshake filter removed), or on a
    /// socket bound anew at <see cref="Address"/> when the stop closed it.
    /// </summary>
    /// <exception cref="InvalidOperationException">A successor serves the socket, or the address cannot be bound again.</exception>
    public Task ResumeAcceptingAsync()
    {
        if (Accepting) return Task.CompletedTask;
        if (HandedOff) throw new InvalidOperationException($"listener {Name}: its socket was handed to a successor (hot restart)");
        if (Volatile.Read(ref _closed))
        {
            try
            {
                Volatile.Write(ref _socket, BindSocket(Address));
            }
            catch (SocketException e)
            {
                throw new InvalidOperationException($"listener {Name}: cannot bind {Address} again: {e.Message}", e);
            }
            Volatile.Write(ref _closed, false);
        }
        else
        {
            ListenQueue.AllowHandshakes(_socket);
        }
        Volatile.Write(ref _accepting, 1);
        _acceptLoop?.Resume();
        _tcpLoop = _tcpLoop?.Restart();
        return Task.CompletedTask;
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan limit)
    {
        var until = DateTime.UtcNow + limit;
        while (!condition())
        {
            if (DateTime.UtcNow >= until) return false;
            await Task.Delay(5).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Set for gateway listeners, whose connections pass through the gateway's connection middleware.</summary>
    internal bool TracksConnections { get; set; }

    internal void AcceptedByLoop()
    {
        if (TracksConnections) Interlocked.Increment(ref _acceptedByLoop);
    }

    /// <summary>Kestrel began serving a connection; until its first bytes arrive it is not in the actor tree.</summary>
    internal void ConnectionArrived(Connections.KestrelConnection connection)
    {
        _silent.TryAdd(connection, 0);
        Interlocked.Increment(ref _arrived);
    }

    /// <summary>
    /// The connection's first bytes arrived or it closed silent. Until <see cref="ConnectionRegistered"/> follows,
    /// the unbind still waits for it (the arrived count stays ahead).
    /// </summary>
    internal void ConnectionSpoke(Connections.KestrelConnection connection) => _silent.TryRemove(connection, out _);

    /// <summary>The connection was passed to the actor tree.</summary>
    internal void ConnectionRegistered() => Interlocked.Increment(ref _registered);

    internal void ConnectionOpened()
    {
        Interlocked.Increment(ref _open);
        Interlocked.Increment(ref _accepted);
    }

    internal void ConnectionClosed() => Interlocked.Decrement(ref _open);

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

    /// <summary>Http only: read per connection and request, so a reload's new values apply to what comes next.</summary>
    public Configuration.LimitSettings Limits { get; internal set; } = Configuration.LimitSettings.Default;

    /// <summary>Connections closed on arrival because <see cref="Configuration.LimitSettings.MaxConnections"/> were open.</summary>
    public long ConnectionsOverLimit => Interlocked.Read(ref _overLimit);

    /// <summary>
    /// Admits a connection Kestrel just accepted unless the listener already serves its maximum; a refused one counts
    /// as arrived, so the unbind does not wait for it.
    /// </summary>
    internal bool TryAdmit()
    {
        if (Interlocked.Increment(ref _admitted) <= Limits.MaxConnections) return true;
        Interlocked.Decrement(ref _admitted);
        Interlocked.Increment(ref _overLimit);
        if (TracksConnections) Interlocked.Increment(ref _arrived);
        return false;
    }

    /// <summary>An admitted connection ended.</summary>
    internal void Release() => Interlocked.Decrement(ref _admitted);

    /// <summary>Takes the protocol, idle timeout and limits of its configuration.</summary>
    internal ListenerHandle Configure(Configuration.ListenerSettings settings)
    {
        Protocol = settings.Protocol;
        IdleTimeout = settings.IdleTimeout;
        Limits = settings.Limits;
        return this;
    }

    /// <summary>Takes over a listening socket received from the previous generation, or from systemd.</summary>
    internal static ListenerHandle Adopt(string name, int descriptor, bool heldBySystem)
    {
        var socket = new Socket(new SafeSocketHandle(descriptor, ownsHandle: true));
        if (!socket.IsBound) throw new IOException($"descriptor {descriptor} for listener {name} is not a bound socket");
        // A generation that was stopping may have left its handshake filter on the socket it handed over.
        ListenQueue.AllowHandshakes(socket);
        return new ListenerHandle(name, socket) { Adopted = true, HeldBySystem = heldBySystem };
    }

    /// <summary>Binds a listening socket the gateway owns; the caller turns a failure into a config error.</summary>
    internal static ListenerHandle Bind(string name, IPEndPoint address) => new(name, BindSocket(address));

    private static Socket BindSocket(IPEndPoint address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            socket.Bind(address);
            socket.Listen(512);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
