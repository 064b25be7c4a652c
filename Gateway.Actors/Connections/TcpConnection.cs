using System.Net;
using Akka.Actor;
using System.Net.Sockets;
using Gateway.Listeners;
using Gateway.Upstreams;
using Microsoft.Extensions.Logging;

namespace Gateway.Connections;

/// <summary>
/// One raw TCP connection relayed to an upstream endpoint, socket to socket (<see cref="SocketCopy"/>, one loop each
/// way), with back-pressure both ways and half-close honoured (the client's FIN goes to the upstream while the
/// upstream's bytes keep flowing back). It cannot be told to go away; at the drain deadline both directions stop
/// reading and end with a FIN, and only if that does not end it is it aborted. Measured with bench/tcp against the
/// Akka.Streams graph it replaced (Akka.IO's outgoing connection): see bench/results/profile-2026-12-03.md.
/// </summary>
internal sealed class TcpConnection : IConnectionPort, IIdleClosable
{
    /// <summary>How long a FIN-both-ways close may take before the connection is aborted.</summary>
    internal static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(2);

    private static long _ids;

    private readonly Socket _socket;
    private readonly ListenerHandle _listener;
    private readonly UpstreamHandle _upstream;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _upstreamSocket;
    private EndWatch _end;
    private readonly TimeProvider _time;
    private long _lastActivity;
    private int _forced;
    private UpstreamEndpoint? _endpoint;

    public TcpConnection(Socket socket, ListenerHandle listener, UpstreamHandle upstream, ILogger logger)
    {
        _socket = socket;
        _listener = listener;
        _upstream = upstream;
        _logger = logger;
        _time = listener.Time;
        _lastActivity = _time.GetTimestamp();
        OpenedAt = _time.GetUtcNow();
        Id = "tcp-" + Interlocked.Increment(ref _ids);
        Remote = socket.RemoteEndPoint?.ToString() ?? "?";
    }

    public string Id { get; }
    public string Remote { get; }

    /// <summary>The relay is its one unit of work: 1 while open.</summary>
    public int InFlight => _end.HasEnded ? 0 : 1;
    public bool HasEnded => _end.HasEnded;
    public void TellWhenEnded(IActorRef actor) => _end.TellWhenEnded(actor);
    public DateTimeOffset OpenedAt { get; }
    public TimeSpan? IdleTimeout => _listener.IdleTimeout;
    public TimeSpan IdleFor => _time.GetElapsedTime(Volatile.Read(ref _lastActivity));

    /// <summary>Where this connection's bytes go (round-robin over the upstream's endpoints).</summary>
    public EndPoint? Endpoint { get; private set; }

    public override string ToString() =>
        $"{Id} from {Remote} to {Endpoint} (upstream {_upstream.Name}), open {(_time.GetUtcNow() - OpenedAt).TotalSeconds:0.0}s, idle {IdleFor.TotalSeconds:0.0}s";

    /// <summary>Starts the relay; the connection counts as open from here until both directions have ended.</summary>
    public void Start()
    {
        _listener.Counters.ConnectionOpened();
        _listener.Counters.RequestStarted(connectionBecameActive: true);
        _upstream.Enter();
        // Counted on its endpoint while open, so that draining the endpoint waits for this connection too.
        if (_upstream.Endpoints.Lease() is not { } endpoint)
        {
            TcpLog.EveryEndpointDrained(_logger, Id, _listener.Name, _upstream.Name);
            Ended(null);
            return;
        }
        _endpoint = endpoint;
        Endpoint = endpoint.SocketAddress;
        _ = RunAsync(Endpoint);
    }

    private async Task RunAsync(EndPoint endpoint)
    {
        var upstream = _upstreamSocket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token))
            {
                connecting.CancelAfter(_upstream.Settings.ConnectTimeout);
                await upstream.ConnectAsync(endpoint, connecting.Token).ConfigureAwait(false);
            }
            // Both directions at once, each with its own FIN; a fault in one (a reset) ends the other.
            var toUpstream = CopyAsync(_socket, upstream);
            var toClient = CopyAsync(upstream, _socket);
            if (!await toUpstream.ConfigureAwait(false) | !await toClient.ConfigureAwait(false)) Finish(upstream);
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            TcpLog.UpstreamFailed(_logger, Id, _listener.Name, _upstream.Name, endpoint, e is OperationCanceledException ? $"no connection within {_upstream.Settings.ConnectTimeout.TotalSeconds:0.###}s" : e.Message);
        }
        catch (Exception)
        {
        }
        Ended(upstream);
    }

    /// <summary>One direction; false when it was stopped (or failed, which stops the other one too).</summary>
    private async Task<bool> CopyAsync(Socket from, Socket to)
    {
        try
        {
            return await SocketCopy.CopyAsync(from, to, Touch, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            _stop.Cancel();
            return false;
        }
    }

    /// <summary>A stopped relay: a FIN each way for what was not ended yet (the sockets close right after).</summary>
    private void Finish(Socket upstream)
    {
        foreach (var socket in (ReadOnlySpan<Socket>)[_socket, upstream])
        {
            try
            {
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private void Touch(long _) => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    private void Ended(Socket? upstream)
    {
        upstream?.Dispose();
        _socket.Dispose();
        _endpoint?.Leave();
        _upstream.Leave();
        _listener.Counters.RequestEnded(connectionBecameIdle: true);
        _listener.Counters.ConnectionClosed();
        _end.End();
    }

    /// <summary>Nothing to say to raw bytes: the connection runs until it ends or the deadline.</summary>
    public void GoAway() { }

    /// <summary>Same: a drain cannot ask a TCP peer to leave (an idle timeout may close it, see <see cref="CloseIdle"/>).</summary>
    public void RequestClose() { }

    public void CloseIdle() => Shutdown();

    /// <summary>A raw TCP connection is one byte stream, not a carrier of streams the gateway could end apart.</summary>
    public int Streams => 0;

    public void EndStreams() { }

    public void Abort(string reason)
    {
        if (_end.HasEnded || Interlocked.Exchange(ref _forced, 1) == 1) return;
        _listener.Counters.ConnectionForced();
        Shutdown();
    }

    /// <summary>FIN both ways; abort (close the sockets) only when that has not ended the connection in time.</summary>
    private void Shutdown()
    {
        _stop.Cancel();
        _ = Task.Delay(ShutdownGrace).ContinueWith(_ =>
        {
            if (_end.HasEnded) return;
            _socket.Dispose();
            _upstreamSocket?.Dispose();
        }, TaskScheduler.Default);
    }
}
