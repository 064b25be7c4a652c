using System.Net.Http;
using System.Net.Sockets;
using Gateway.Upstreams;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

/// <summary>Why a failed forward may be sent again on another endpoint.</summary>
internal enum RetryReason
{
    /// <summary>
    /// The request provably never reached the endpoint: no connection could be made (refused, unreachable, TLS
    /// failed). Safe for every method; the endpoint leaves the rotation for <c>eject-for</c>.
    /// </summary>
    NeverReached,
    /// <summary>
    /// An HTTP/2 endpoint did not process the stream: REFUSED_STREAM, or above the last stream id of its GOAWAY (see
    /// <see cref="UnprocessedRetry"/>). Safe for every method, on another endpoint or a new connection to the same one;
    /// the endpoint stays in rotation (it may only be shutting down one connection).
    /// </summary>
    Refused,
    /// <summary>
    /// The request's head never reached the endpoint: the HTTP/1.x connection it was to go on had been closed by the
    /// endpoint (seen before writing, or the write failed with a reset or a broken pipe; see
    /// <see cref="Http1ConnectionStream"/>). Safe for every method; the endpoint stays in rotation (a pooled connection
    /// closing says nothing of it) and, with no other one, a new connection to it is tried.
    /// </summary>
    NotSent,
    /// <summary>The endpoint closed the connection before any answer (a <c>Connection: close</c> race): idempotent methods only.</summary>
    ClosedBeforeAnswer,
}

/// <summary>
/// The retries of one request: on another endpoint, when the failure allows it (<see cref="RetryReason"/>), nothing
/// of the response was sent, the body read so far was kept (<see cref="RetryBody"/>, up to the upstream's
/// <c>retry-buffer</c>), retries are left (<c>retries</c>) and the upstream's <see cref="RetryBudget"/> allows one.
/// </summary>
internal sealed class UpstreamRetry
{
    private readonly HttpContext _context;
    private readonly UpstreamHandle _upstream;
    private readonly RetryBody? _body;
    private List<UpstreamEndpoint>? _tried;
    private int _retries;

    private UpstreamRetry(HttpContext context, UpstreamHandle upstream, RetryBody? body)
    {
        _context = context;
        _upstream = upstream;
        _body = body;
        TracksHead = body is not null || !Idempotent(context.Request.Method);
    }

    /// <summary>
    /// Whether a head refused before it was sent (<see cref="RetryReason.NotSent"/>) can change what happens to this
    /// request, so that its HTTP/1.x connection should watch the head's write (<see cref="ForwardAttempt"/>): for a
    /// method that is not idempotent (otherwise never sent twice) and for a request with a body (the failed write of
    /// its head can be reported as the body's, which is otherwise not retried). An idempotent request without one is
    /// sent again anyway: by SocketsHttpHandler itself, on a new connection, when its pooled one ended before an
    /// answer, and by the gateway on another endpoint when it was closed or reset
    /// (<see cref="RetryReason.ClosedBeforeAnswer"/>). So most requests, GETs, pay neither the flowing attempt nor the
    /// look at the socket before every head.
    /// </summary>
    public bool TracksHead { get; }

    /// <summary>The retry state of a request about to be forwarded; null when its upstream never retries.</summary>
    public static UpstreamRetry? For(HttpContext context, UpstreamHandle upstream)
    {
        if (upstream.Settings.Retries == 0) return null;
        RetryBody? body = null;
        // A gRPC call keeps the start of its body itself (GrpcRequestBody), message by message.
        if (Grpc.GrpcCall.Of(context) is null && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody != false)
        {
            body = new RetryBody(context.Request.Body, upstream.Settings.RetryBuffer);
            context.Request.Body = body;
            context.Response.RegisterForDispose(body);
        }
        return new UpstreamRetry(context, upstream, body);
    }

    /// <summary>
    /// Why this failure may be retried, or null when it may not be (the endpoint may have acted on it).
    /// <paramref name="attempt"/>: what the HTTP/1.x connection saw of the try (null when it is not tracked).
    /// </summary>
    public static RetryReason? Classify(HttpContext context, ForwarderError error, ForwardAttempt? attempt)
    {
        if (UnprocessedRetry.Refused(context, error)) return RetryReason.Refused;
        if (error is not (ForwarderError.Request or ForwarderError.RequestBodyDestination)) return null;
        // The body is written after the head, so a head that never went out took none of the body with it.
        if (attempt is { HeadNeverSent: true } && !context.Response.HasStarted) return RetryReason.NotSent;
        for (var e = context.Features.Get<IForwarderErrorFeature>()?.Exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError }:
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable }:
                    return RetryReason.NeverReached;
                case HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }:
                case SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown }:
                // SocketsHttpHandler sent a body-less request again by itself after an end of stream, on a connection also closed.
                case Http1ConnectionStream.ClosedBeforeSentException:
                    return error == ForwarderError.Request ? RetryReason.ClosedBeforeAnswer : null;
            }
        }
        return null;
    }

    /// <summary>The failure was the endpoint's (not the client's): it counts against the endpoint's health.</summary>
    public static bool EndpointFault(ForwarderError error) => error is ForwarderError.Request or ForwarderError.RequestTimedOut
        or ForwarderError.RequestBodyDestination or ForwarderError.ResponseBodyDestination or ForwarderError.ResponseHeaders
        or ForwarderError.UpgradeRequestDestination or ForwarderError.UpgradeResponseDestination;

    /// <summary>A method whose repetition has the effect of one (RFC 9110 §9.2.2).</summary>
    public static bool Idempotent(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method)
        || HttpMethods.IsPut(method) || HttpMethods.IsDelete(method) || HttpMethods.IsTrace(method);

    /// <summary>
    /// The endpoint to send the request to next, counted in flight on it; null when it is not retried, with
    /// <paramref name="refused"/> saying why when a retry was possible but not allowed.
    /// </summary>
    public UpstreamEndpoint? Next(UpstreamEndpoint failed, RetryReason reason, out string? refused)
    {
        refused = null;
        if (_context.Response.HasStarted) return null;
        if (reason == RetryReason.ClosedBeforeAnswer && !Idempotent(_context.Request.Method)) return null;
        if (_retries >= _upstream.Settings.Retries) return null;
        if (_body is not null && !_body.Rewind())
        {
            refused = $"{_body.BytesRead} bytes of its body were sent, more than retry-buffer ({_upstream.Settings.RetryBuffer}) keeps";
            return null;
        }
        if (Grpc.GrpcCall.Of(_context) is { } call && !call.RequestBody.Rewind())
        {
            refused = "more of the call's messages were sent than the gateway keeps for a retry";
            return null;
        }
        (_tried ??= []).Add(failed);
        // A refused stream or a closed pooled connection says nothing against its endpoint: with no other one, a new
        // connection to it is tried.
        var again = reason is RetryReason.Refused or RetryReason.NotSent;
        if ((_upstream.Endpoints.Lease(_tried) ?? (again ? _upstream.Endpoints.Lease() : null)) is not { } next) return null;
        if (!_upstream.Budget.TryWithdraw())
        {
            next.Leave();
            refused = "the retry budget is spent";
            return null;
        }
        _retries++;
        _context.Features.Set<IForwarderErrorFeature>(null);
        _context.Response.StatusCode = StatusCodes.Status200OK;
        return next;
    }
}
