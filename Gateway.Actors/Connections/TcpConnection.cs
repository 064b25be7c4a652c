using System.Net;
using System.Net.Sockets;
using Akka;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Dsl;
using Gateway.Listeners;
using Gateway.Upstreams;
using Microsoft.Extensions.Logging;

namespace Gateway.Connections;

/// <summary>
/// One raw TCP connection relayed to an upstream endpoint on Akka.Streams: client socket → kill switch → outgoing
/// connection → kill switch → client socket, with back-pressure both ways and half-close honoured (the client's FIN
/// goes to the upstream while the upstream's bytes keep flowing back). It cannot be told to go away; at the drain
/// deadline the kill switch ends both directions with a FIN, and only if that does not end it is it aborted.
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
    private readonly SharedKillSwitch _killSwitch;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _clientSideDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
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
        _killSwitch = KillSwitches.Shared(Id);
    }

    public string Id { get; }
    public string Remote { get; }

    /// <summary>The relay is its one unit of work: 1 while open.</summary>
    public int InFlight => _closed.Task.IsCompleted ? 0 : 1;
    public Task Closed => _closed.Task;
    public DateTimeOffset OpenedAt { get; }
    public TimeSpan? IdleTimeout => _listener.IdleTimeout;
    public TimeSpan IdleFor => _time.GetElapsedTime(Volatile.Read(ref _lastActivity));

    /// <summary>Where this connection's bytes go (round-robin over the upstream's endpoints).</summary>
    public EndPoint? Endpoint { get; private set; }

    public override string ToString() =>
        $"{Id} from {Remote} to {Endpoint} (upstream {_upstream.Name}), open {(_time.GetUtcNow() - OpenedAt).TotalSeconds:0.0}s, idle {IdleFor.TotalSeconds:0.0}s";

    /// <summary>Materializes the relay; the connection counts as open from here until both directions have ended.</summary>
    public void Start(IMaterializer materializer, Akka.Actor.ActorSystem system)
    {
        _listener.Counters.ConnectionOpened();
        _listener.Counters.RequestStarted(connectionBecameActive: true);
        _upstream.Enter();
        // Counted on its endpoint while open, so that draining the endpoint waits for this connection too.
        if (_upstream.Endpoints.Lease() is not { } endpoint)
        {
            _logger.LogWarning("TCP connection {Id} on listener {Listener}: every endpoint of upstream {Upstream} is drained; closed", Id, _listener.Name, _upstream.Name);
            _ = OnUpstreamSideDone(Task.FromCanceled<Done>(new CancellationToken(canceled: true)));
            return;
        }
        _endpoint = endpoint;
        Endpoint = endpoint.SocketAddress;
        var (connected, sent) = Source.FromGraph(new SocketSource(_socket, Touch, () => _clientSideDone.TrySetResult()))
            .Via(_killSwitch.Flow<ByteString>())
            .ViaMaterialized(system.TcpStream().OutgoingConnection(Endpoint, halfClose: true, connectionTimeout: _upstream.Settings.ConnectTimeout), Keep.Right)
            .Via(_killSwitch.Flow<ByteString>())
            .ToMaterialized(Sink.ForEachAsync<ByteString>(1, SendAsync), Keep.Both)
            .Run(materializer);
        connected.ContinueWith(t => _logger.LogWarning("TCP connection {Id} on listener {Listener}: upstream {Upstream} at {Endpoint} failed: {Reason}",
            Id, _listener.Name, _upstream.Name, Endpoint, t.Exception?.GetBaseException().Message), TaskContinuationOptions.OnlyOnFaulted);
        sent.ContinueWith(OnUpstreamSideDone, TaskScheduler.Default);
    }

    private async Task SendAsync(ByteString bytes)
    {
        Touch(bytes.Count);
        // One copy per chunk (at most 64 KiB): ByteString exposes no memory a socket could send from directly.
        await _socket.SendAsync(bytes.ToArray(), SocketFlags.None).ConfigureAwait(false);
    }

    private void Touch(long _) => Volatile.Write(ref _lastActivity, _time.GetTimestamp());

    /// <summary>The upstream's bytes have all been written (or the relay failed): FIN to the client, then wait for its side.</summary>
    private async Task OnUpstreamSideDone(Task<Done> sent)
    {
        try
        {
            if (sent.IsCompletedSuccessfully)
            {
                _socket.Shutdown(SocketShutdown.Send);
                await _clientSideDone.Task.ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _socket.Dispose();
        _endpoint?.Leave();
        _upstream.Leave();
        _listener.Counters.RequestEnded(connectionBecameIdle: true);
        _listener.Counters.ConnectionClosed();
        _closed.TrySetResult();
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
        if (_closed.Task.IsCompleted || Interlocked.Exchange(ref _forced, 1) == 1) return;
        _listener.Counters.ConnectionForced();
        Shutdown();
    }

    /// <summary>FIN both ways through the kill switch; abort only when that has not ended the connection in time.</summary>
    private void Shutdown()
    {
        _killSwitch.Shutdown();
        _ = Task.Delay(ShutdownGrace).ContinueWith(_ =>
        {
            if (_closed.Task.IsCompleted) return;
            _killSwitch.Abort(new IOException($"connection {Id} did not close within {ShutdownGrace.TotalSeconds}s"));
            _socket.Dispose();
            _clientSideDone.TrySetResult();
        }, TaskScheduler.Default);
    }
}
