using System.Globalization;
using Gateway.Configuration;
using Gateway.Connections;
using Gateway.Upstreams;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing.Grpc;

/// <summary>
/// One gRPC call through the gateway. It owns the call's clocks — the wait for the upstream's response headers is
/// bounded by <c>grpc-timeout</c> when the client sent one (else the upstream's response timeout), and once the
/// response runs only the call's deadline bounds it, so a quiet stream is never cut as idle — and its end: a call
/// that has carried a second message either way is a long-lived stream of its connection, which a drain ends the
/// gRPC way (between two messages, trailers with UNAVAILABLE), never with a reset.
/// </summary>
internal sealed class GrpcCall : IDisposable
{
    /// <summary>The goodbye of a drained stream: UNAVAILABLE is the status gRPC clients retry on.</summary>
    public const string DrainingMessage = "the gateway is draining: call again to reach another instance";

    private static readonly object ItemsKey = new();

    private readonly HttpContext _context;
    private readonly KestrelConnection _connection;
    private readonly StreamSettings _streamSettings;
    private readonly string _upstream;
    private readonly TimeSpan? _deadline;
    private readonly TimeSpan _headersWithin;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
    private readonly CancellationTokenSource _waitingForHeaders = new();
    private readonly CancellationTokenSource _end = new();
    private readonly Lock _gate = new();
    private CancellationTokenSource? _deadlineTimer;
    private LongLivedStream? _stream;
    private CancellationTokenRegistration _goodbye;
    private Ending? _ending;
    private bool _disposed;

    private GrpcCall(HttpContext context, KestrelConnection connection, UpstreamHandle upstream, StreamSettings streams)
    {
        _context = context;
        _connection = connection;
        _streamSettings = streams;
        _upstream = upstream.Name;
        _deadline = GrpcTimeout.Parse(context.Request.Headers[GrpcProtocol.Timeout]);
        _headersWithin = _deadline ?? upstream.Settings.ResponseTimeout;
        RequestBody = new GrpcRequestBody(context.Request.Body, this, connection.Listener.Limits.MaxBodyBytes);
        context.Request.Body = RequestBody;
        context.Items[ItemsKey] = this;
    }

    /// <summary>How the call ended when the gateway ended it (a drain's goodbye, its deadline).</summary>
    public sealed record Ending(GrpcStatusCode Code, string Message);

    /// <summary>The call's request body as the forwarder reads it: counted, and replayable for a retry while small.</summary>
    public GrpcRequestBody RequestBody { get; }

    /// <summary>Set when the gateway ended the call; the response then ends at a message boundary with this status.</summary>
    public Ending? Ended => Volatile.Read(ref _ending);

    /// <summary>The upstream's response headers came (the call can no longer be answered with a trailers-only status).</summary>
    public bool ResponseStarted { get; private set; }

    /// <summary>Fires when the gateway ends the call.</summary>
    public CancellationToken Ends => _end.Token;

    /// <summary>A gRPC call to forward, or null for any other request.</summary>
    public static GrpcCall? Start(HttpContext context, KestrelConnection connection, UpstreamHandle upstream, StreamSettings streams) =>
        GrpcProtocol.IsGrpc(context.Request) ? new GrpcCall(context, connection, upstream, streams) : null;

    /// <summary>The call a request is, once started.</summary>
    public static GrpcCall? Of(HttpContext context) =>
        context.Items.TryGetValue(ItemsKey, out var call) ? call as GrpcCall : null;

    /// <summary>The endpoint's settings without the forwarder's idle timeout: this call's own clocks replace it.</summary>
    public static ForwarderRequestConfig RequestConfig(ForwarderRequestConfig endpoint) =>
        endpoint with { ActivityTimeout = Timeout.InfiniteTimeSpan };

    /// <summary>An attempt starts: the token fires when its response headers have not come in time.</summary>
    public CancellationToken AttemptStarting()
    {
        var left = _headersWithin - System.Diagnostics.Stopwatch.GetElapsedTime(_started);
        if (_deadline is null) left = _headersWithin; // the upstream's response timeout counts per attempt, as for any request
        _waitingForHeaders.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        return _waitingForHeaders.Token;
    }

    /// <summary>The response headers came: from now only the call's deadline (if any) bounds it.</summary>
    public void HeadersArrived()
    {
        _waitingForHeaders.CancelAfter(Timeout.InfiniteTimeSpan);
        ResponseStarted = true;
        if (_deadline is not { } deadline) return;
        var left = deadline - System.Diagnostics.Stopwatch.GetElapsedTime(_started);
        lock (_gate)
        {
            if (_disposed) return;
            _deadlineTimer = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero);
            _deadlineTimer.Token.Register(() => End(GrpcStatusCode.DeadlineExceeded,
                $"the call's deadline ({Seconds(deadline)}, grpc-timeout) passed before upstream {_upstream} ended it"));
        }
    }

    /// <summary>Ends the call at its next message boundary with <paramref name="code"/> (the first reason wins).</summary>
    public void End(GrpcStatusCode code, string message)
    {
        if (Interlocked.CompareExchange(ref _ending, new Ending(code, message), null) is not null) return;
        try
        {
            _end.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The call ended meanwhile.
        }
    }

    /// <summary>A message began in one direction; the second one makes the call a stream (unary calls never are).</summary>
    public void MessageBegan(int messagesThatWay)
    {
        if (messagesThatWay != 2) return;
        lock (_gate)
        {
            if (_disposed || _stream is not null) return;
            _stream = _connection.OpenStream(_streamSettings);
            _goodbye = _stream.Goodbye.Register(() => End(GrpcStatusCode.Unavailable, DrainingMessage));
        }
    }

    /// <summary>
    /// The forwarder's result as the call sees it: a cancel by the header clock is a timeout, and once the gateway ended
    /// the call itself, the body copies it cut short are the end it chose, not a failure.
    /// </summary>
    public ForwarderError Outcome(ForwarderError error)
    {
        if (error is ForwarderError.RequestCanceled && _waitingForHeaders.IsCancellationRequested && !_context.RequestAborted.IsCancellationRequested)
        {
            _context.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
            return ForwarderError.RequestTimedOut;
        }
        if (Ended is not null && error is ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
                or ForwarderError.RequestBodyDestination or ForwarderError.ResponseBodyCanceled)
            return ForwarderError.None;
        return error;
    }

    /// <summary>The message of a timeout the gateway answers (null: the handler's own text is right).</summary>
    public string? DescribeTimeout(int status) =>
        status == StatusCodes.Status504GatewayTimeout && _deadline is { } deadline
            ? $"upstream {_upstream} did not answer within the call's deadline ({Seconds(deadline)}, grpc-timeout)"
            : null;

    private static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            _goodbye.Dispose();
            _stream?.Dispose();
            _deadlineTimer?.Dispose();
        }
        _waitingForHeaders.Dispose();
        _end.Dispose();
    }
}
