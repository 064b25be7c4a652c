using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Listeners;

/// <summary>
/// One configured listener in production: the socket the gateway bound (Kestrel serves it through
/// <c>ListenHandle</c> and never owns it), Kestrel's accept loop on it, and lock-free counters for the admin API.
/// </summary>
public sealed class ListenerHandle : IListenerPort
{
    private readonly Socket _socket;
    private IConnectionListener? _acceptLoop;
    private int _accepting = 1;
    private int _goingAway;
    private int _handedOff;
    private long _open;
    private long _active;
    private long _inFlight;
    private long _accepted;
    private long _forced;
    private long _streams;
    private readonly long[] _tlsRefused = new long[Enum.GetValues<Tls.TlsRefusal>().Length];

    internal ListenerHandle(string name, Socket socket)
    {
        Name = name;
        _socket = socket;
        Address = (IPEndPoint)socket.LocalEndPoint!;
        FileHandle = (ulong)socket.Handle;
    }

    public string Name { get; }

    /// <summary>The address actually bound (port 0 in the config becomes a real port here).</summary>
    public IPEndPoint Address { get; }

    /// <summary>The socket's file descriptor, as Kestrel's <c>ListenHandle</c> takes it.</summary>
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
    public long AcceptedConnections => Interlocked.Read(ref _accepted);

    /// <summary>Long-lived streams in flight (WebSocket upgrades, server-sent events).</summary>
    public long Streams => Interlocked.Read(ref _streams);

    internal void StreamStarted() => Interlocked.Increment(ref _streams);

    internal void StreamEnded() => Interlocked.Decrement(ref _streams);

    /// <summary>Connections this listener's drain had to force (aborted at the deadline).</summary>
    public long ForcedConnections => Interlocked.Read(ref _forced);

    internal void ConnectionForced() => Interlocked.Increment(ref _forced);

    /// <summary>The certificates this listener serves, when it is a TLS listener.</summary>
    public Tls.CertificateStore? Tls { get; internal set; }

    /// <summary>Connections closed before their first request, by reason (TLS listeners only; since start).</summary>
    public long TlsRefused(Tls.TlsRefusal reason) => Interlocked.Read(ref _tlsRefused[(int)reason]);

    internal void CountTlsRefusal(Tls.TlsRefusal reason) => Interlocked.Increment(ref _tlsRefused[(int)reason]);

    /// <summary>Kestrel bound its accept loop to this listener's socket.</summary>
    internal void Attach(IConnectionListener acceptLoop) => _acceptLoop = acceptLoop;

    /// <summary>The socket came from elsewhere (a previous generation, or systemd) instead of being bound here.</summary>
    public bool Adopted { get; private init; }

    /// <summary>A successor process serves this socket now: stopping must leave it open.</summary>
    public bool HandedOff => Volatile.Read(ref _handedOff) == 1;

    /// <summary>The socket's descriptor, for handing it to a successor.</summary>
    internal int Descriptor => (int)_socket.SafeHandle.DangerousGetHandle();

    internal void HandOff() => Volatile.Write(ref _handedOff, 1);

    /// <summary>
    /// Ends Kestrel's accept loop, then closes the socket so that new connections are refused — unless a successor
    /// took it over (hot restart): then the socket stays open, and the kernel's accept queue with it.
    /// </summary>
    public async Task StopAcceptingAsync()
    {
        if (Interlocked.Exchange(ref _accepting, 0) == 0) return;
        if (_acceptLoop is { } loop)
            await loop.UnbindAsync().ConfigureAwait(false);
        if (!HandedOff)
            _socket.Close();
    }

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
        if (connectionBecameIdle) Interlocked.Decrement(ref _active);
    }

    /// <summary>Takes over a listening socket received from the previous generation.</summary>
    internal static ListenerHandle Adopt(string name, int descriptor)
    {
        var socket = new Socket(new SafeSocketHandle(descriptor, ownsHandle: true));
        if (!socket.IsBound) throw new IOException($"descriptor {descriptor} for listener {name} is not a bound socket");
        return new ListenerHandle(name, socket) { Adopted = true };
    }

    /// <summary>Binds a listening socket the gateway owns; the caller turns a failure into a config error.</summary>
    internal static ListenerHandle Bind(string name, IPEndPoint address)
    {
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (address.AddressFamily == AddressFamily.InterNetworkV6) socket.DualMode = false;
            socket.Bind(address);
            socket.Listen(512);
            return new ListenerHandle(name, socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
