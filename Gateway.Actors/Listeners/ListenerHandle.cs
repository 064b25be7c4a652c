using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Gateway.Listeners;

/// <summary>
/// One configured listener in production: the socket the gateway bound or took over (Kestrel serves it through
/// <c>ListenHandle</c> and never owns it; a tcp listener's accept loop is <see cref="TcpAcceptLoop"/>), the accept
/// loop on it, its <see cref="Counters"/>, its admission, and its stop and restart.
/// </summary>
internal sealed class ListenerHandle : IListenerPort
{
    private readonly ListenerUnbind _unbind;
    private Socket _socket;
    private bool _closed;
    private OwnedSocketAcceptLoop? _acceptLoop;
    private TcpAcceptLoop? _tcpLoop;
    private Task _silentSettled = Task.CompletedTask;
    private int _accepting = 1;
    private int _goingAway;
    private int _handedOff;
    private long _admitted;

    internal ListenerHandle(string name, Socket socket, TimeProvider time)
    {
        Name = name;
        _socket = socket;
        _unbind = new ListenerUnbind(time);
        Address = (IPEndPoint)socket.LocalEndPoint!;
        FileHandle = (ulong)socket.Handle;
    }

    public string Name { get; }

    /// <summary>What this listener has carried (read by the admin API and the metrics).</summary>
    public ListenerCounters Counters { get; } = new();

    /// <summary>The clock its connections read (their age, how long they have been idle) and its unbind waits on.</summary>
    public TimeProvider Time => _unbind.Time;

    /// <summary>Served by Kestrel (http) or relayed byte for byte to one upstream (tcp).</summary>
    public Configuration.ListenerProtocol Protocol { get; private set; }

    /// <summary>Tcp only: during a drain, close connections that carried no byte for this long.</summary>
    public TimeSpan? IdleTimeout { get; internal set; }

    /// <summary>Http only: read per connection and request, so a reload's new values apply to what comes next.</summary>
    public Configuration.LimitSettings Limits { get; internal set; } = Configuration.LimitSettings.Default;

    /// <summary>The certificates this listener serves, when it is a TLS listener.</summary>
    public Tls.CertificateStore? Tls { get; internal set; }

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

    /// <summary>The socket came from elsewhere (a previous generation, or systemd) instead of being bound here.</summary>
    public bool Adopted { get; init; }

    /// <summary>
    /// systemd holds a copy of this socket (socket activation): closing ours would refuse nothing, so a stop keeps it,
    /// and accepting again re-uses it.
    /// </summary>
    public bool HeldBySystem { get; init; }

    /// <summary>The listening socket is open (accepting, or kept while stopped).</summary>
    public bool SocketOpen => !Volatile.Read(ref _closed);

    /// <summary>A successor process serves this socket now: stopping must leave it open.</summary>
    public bool HandedOff => Volatile.Read(ref _handedOff) == 1;

    /// <summary>The socket's descriptor, for handing it to a successor.</summary>
    internal int Descriptor => (int)Socket.SafeHandle.DangerousGetHandle();

    internal void HandOff() => Volatile.Write(ref _handedOff, 1);

    /// <summary>Takes the protocol, idle timeout and limits of its configuration.</summary>
    internal ListenerHandle Configure(Configuration.ListenerSettings settings)
    {
        Protocol = settings.Protocol;
        IdleTimeout = settings.IdleTimeout;
        Limits = settings.Limits;
        return this;
    }

    /// <summary>Binds a listening socket the gateway owns; the caller turns a failure into a config error.</summary>
    internal static ListenerHandle Bind(string name, IPEndPoint address, TimeProvider? time = null) =>
        new(name, ListeningSocket.Bind(address), time ?? TimeProvider.System);

    // ---- the connections on their way to the actor tree ----

    /// <summary>This listener's connections pass through the gateway's connection middleware (http listeners).</summary>
    internal void TrackConnections() => _unbind.TracksConnections = true;

    /// <summary>Connections this listener has passed to its actor; it is drained only when it has seen them all.</summary>
    public long ConnectionsRegistered => _unbind.Registered;

    internal void AcceptedByLoop() => _unbind.AcceptedByLoop();

    /// <summary>Kestrel began serving a connection; until its first bytes arrive it is not in the actor tree.</summary>
    internal void ConnectionArrived(Connections.KestrelConnection connection) => _unbind.Arrived(connection);

    /// <summary>The connection's first bytes arrived or it closed silent.</summary>
    internal void ConnectionSpoke(Connections.KestrelConnection connection) => _unbind.Spoke(connection);

    /// <summary>The connection was passed to the actor tree.</summary>
    internal void ConnectionRegistered() => _unbind.ConnectionRegistered();

    /// <summary>
    /// Admits a connection Kestrel just accepted unless the listener already serves its maximum; a refused one counts
    /// as arrived, so the unbind does not wait for it.
    /// </summary>
    internal bool TryAdmit()
    {
        if (Interlocked.Increment(ref _admitted) <= Limits.MaxConnections) return true;
        Interlocked.Decrement(ref _admitted);
        Counters.ConnectionOverLimit();
        _unbind.ArrivedRefused();
        return false;
    }

    /// <summary>An admitted connection ended.</summary>
    internal void Release() => Interlocked.Decrement(ref _admitted);

    // ---- accepting, stopping, accepting again ----

    /// <summary>Kestrel's accept loop on this listener's socket.</summary>
    internal OwnedSocketAcceptLoop CreateAcceptLoop(SocketConnectionContextFactory connections) =>
        _acceptLoop = new OwnedSocketAcceptLoop(this, connections);

    /// <summary>The gateway's own accept loop (tcp listeners) runs on this listener's socket.</summary>
    internal void Attach(TcpAcceptLoop acceptLoop) => _tcpLoop = acceptLoop;

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
            await Task.Delay(ListenQueue.HandshakeSettle, Time).ConfigureAwait(false);
        if (_acceptLoop is { } loop)
            await _unbind.WithinAsync(loop.StopAsync(emptyQueue: !handedOff), ListenerUnbind.StepLimit).ConfigureAwait(false);
        if (_tcpLoop is { } tcp)
            await _unbind.WithinAsync(tcp.StopAsync(emptyQueue: !handedOff), ListenerUnbind.StepLimit).ConfigureAwait(false);
        if (!handedOff && !HeldBySystem)
        {
            Volatile.Write(ref _closed, true);
            _socket.Close();
        }
        await _unbind.AllArrivedAsync().ConfigureAwait(false);
        _silentSettled = _unbind.SettleSilentAsync();
    }

    /// <summary>
    /// Completes once no connection accepted before the unbind is still silent: each spoke (and is in the actor tree)
    /// or was closed. The listener's drain waits for this, not its unbind.
    /// </summary>
    public Task SilentSettled => _silentSettled;

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
                Volatile.Write(ref _socket, ListeningSocket.Bind(Address));
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

    /// <summary>Closes the socket (a reload that binds it and is then refused gives it back).</summary>
    internal void Close()
    {
        Volatile.Write(ref _accepting, 0);
        Volatile.Write(ref _closed, true);
        _socket.Dispose();
    }
}
