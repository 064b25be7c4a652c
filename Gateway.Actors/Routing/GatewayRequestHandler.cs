using System.Text;
using Gateway.Connections;
using Gateway.Hosting;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

/// <summary>
/// The per-request hot path: find the route, answer directly or forward through YARP with the upstream's pool.
/// It touches only lock-free counters on handles the actors own; no actor message is sent per request.
/// </summary>
internal sealed partial class GatewayRequestHandler(IHttpForwarder forwarder, GatewayRuntime runtime, ILogger<GatewayRequestHandler> logger)
{
    /// <summary>Names the process generation that served a response, so hot restarts can be followed from outside.</summary>
    public const string GenerationHeader = "Gateway-Generation";

    /// <summary>How long a failed request waits for the write of its head to end (its connection is being disposed).</summary>
    private static readonly TimeSpan HeadWriteSettles = TimeSpan.FromSeconds(1);
    private readonly Microsoft.Extensions.Primitives.StringValues _generation = runtime.Generation.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The gateway connection a request arrived on, or null for a request to another endpoint (admin).</summary>
    public static KestrelConnection? ConnectionOf(HttpContext context) =>
        context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(KestrelConnection.ItemsKey, out var c) == true
            ? c as KestrelConnection
            : null;

    public async Task HandleAsync(HttpContext context, KestrelConnection connection)
    {
        connection.RequestStarted();
        context.Response.Headers[GenerationHeader] = _generation;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        CompiledRoute? route = null;
        try
        {
            var routes = runtime.Current.Routes;
            route = routes.Match(connection.Listener.Name, context.Request.Host.Host, context.Request.Path.Value ?? "/");
            if (route is null)
            {
                await WriteAsync(context, StatusCodes.Status404NotFound, "404 Not Found: no route matches this path\n");
                routes.NoRoute[3].Inc();
                return;
            }
            if (route.Settings.DirectResponse is { } direct)
                await WriteAsync(context, direct.Status, direct.Body);
            else if (route.Settings.RedirectHttps is { } redirect)
                RedirectToHttps(context, redirect);
            else
                await ForwardAsync(context, route, connection);
            route.Count(context.Response.StatusCode);
        }
        finally
        {
            connection.RequestEnded();
            int? grpcStatus = null;
            if (route is not null && Grpc.GrpcProtocol.IsGrpc(context.Request))
            {
                grpcStatus = Grpc.GrpcResponseStatus.Of(context);
                runtime.Metrics.GrpcResponse(route.Settings.Name, Grpc.GrpcResponseStatus.Label(grpcStatus));
            }
            runtime.AccessLog?.Write(new Telemetry.AccessLogEntry(
                DateTimeOffset.UtcNow, runtime.Generation, connection.Listener.Name, route?.Settings.Name, route?.Upstream?.Name,
                context.Request.Method, context.Request.Path.Value ?? "/", context.Request.Protocol, context.Response.StatusCode,
                context.Response.ContentLength, System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                context.Connection.RemoteIpAddress?.ToString(), grpcStatus));
        }
    }

    // Pooled: the state of a forward (its retries, endpoint, transformer) is not allocated anew for every request.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ForwardAsync(HttpContext context, CompiledRoute route, KestrelConnection connection)
    {
        var upstream = route.Upstream!;
        if (upstream.Endpoints.Lease() is not { } endpoint)
        {
            await WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                $"503 Service Unavailable: every endpoint of upstream {upstream.Name} is drained\n");
            return;
        }
        upstream.Budget.Deposit();
        // A WebSocket is a stream from its request on; an event stream is recognised by its response (the transform).
        var stream = IsWebSocket(context) ? connection.OpenStream(route.Settings.Streams) : null;
        using var grpc = Grpc.GrpcCall.Start(context, connection, upstream, route.Settings.Streams); // gRPC: its clocks, trailers, goodbye
        upstream.Enter();
        ForwarderError error;
        try
        {
            if (stream is not null)
            {
                string? failure;
                try
                {
                    failure = await WebSocketRelay.RunAsync(context, upstream, endpoint, stream, route.Transform);
                }
                finally
                {
                    endpoint.Leave();
                }
                if (failure is null) return;
                await UpstreamFailedAsync(context, route, endpoint.Destination, ForwarderError.UpgradeRequestDestination, failure);
                return;
            }
            HttpTransformer transformer = grpc is null ? route.Transform : new Grpc.GrpcTransformer(route.Transform, grpc);
            var retry = UpstreamRetry.For(context, upstream);
            while (true)
            {
                // Over HTTP/1.x the connection tells whether the request's head went out, when that can matter (HTTP/2
                // has REFUSED_STREAM and GOAWAY).
                var attempt = retry is not { TracksHead: true } || endpoint.Protocol == Upstreams.UpstreamProtocol.H2c ? null : Upstreams.ForwardAttempt.Begin();
                try
                {
                    error = grpc is null
                        ? await forwarder.SendAsync(context, endpoint.Destination, endpoint.Invoker, endpoint.RequestConfig, transformer)
                        : grpc.Outcome(await forwarder.SendAsync(context, endpoint.Destination, endpoint.Invoker, Grpc.GrpcCall.RequestConfig(endpoint.RequestConfig), transformer, grpc.AttemptStarting()));
                }
                finally
                {
                    if (attempt is not null) Upstreams.ForwardAttempt.End();
                    endpoint.Leave();
                }
                if (attempt is not null && error != ForwarderError.None) await attempt.SettledAsync(HeadWriteSettles, upstream.Endpoints.Time);
                var reason = error == ForwarderError.None ? null : UpstreamRetry.Classify(context, error, attempt);
                if (upstream.Observe(endpoint, UpstreamRetry.EndpointFault(error), reason == RetryReason.NeverReached, context.Response.StatusCode))
                    Log.EndpointEjected(logger, upstream.Name, endpoint.ToString(), upstream.Settings.EjectFor.TotalSeconds);
                if (reason is not { } why || retry is null) break;
                if (retry.Next(endpoint, why, out var refused) is not { } next)
                {
                    if (refused is not null)
                    {
                        Log.NotRetried(logger, route.Settings.Name, context.Request.Method, endpoint.ToString(), refused);
                        runtime.Metrics.UpstreamError(upstream.Name, "NotRetried");
                    }
                    break;
                }
                Log.Retried(logger, route.Settings.Name, context.Request.Method, endpoint.ToString(), why, next.ToString());
                runtime.Metrics.UpstreamError(upstream.Name, "Retried");
                endpoint = next;
            }
        }
        finally
        {
            upstream.Leave();
            stream?.Dispose();
        }
        if (error == ForwarderError.None) return;
        var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
        // The stack is for whoever debugs the gateway itself; the warning line says what failed and why.
        if (exception is not null) Log.ForwardFailedDetail(logger, route.Settings.Name, exception);
        await UpstreamFailedAsync(context, route, endpoint.Destination, error, exception?.GetBaseException().Message);
    }

    private async Task UpstreamFailedAsync(HttpContext context, CompiledRoute route, string endpoint, ForwarderError error, string? reason)
    {
        var upstream = route.Upstream!;
        Log.ForwardFailed(logger, route.Settings.Name, upstream.Name, endpoint, error, reason);
        runtime.Metrics.UpstreamError(upstream.Name, error.ToString());
        if (context.Response.HasStarted) return;

        var (status, text) = error switch
        {
            ForwarderError.RequestTimedOut => (StatusCodes.Status504GatewayTimeout,
                $"504 Gateway Timeout: upstream {upstream.Name} ({endpoint}) did not answer within {upstream.Settings.ResponseTimeout.TotalSeconds:0.###}s"),
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled => (StatusCodes.Status400BadRequest,
                "400 Bad Request: the client canceled the request"),
            // Kestrel's limits (max-body-bytes, min-body-bytes-per-second) cut the body off with their own status.
            ForwarderError.RequestBodyClient when RequestAdmission.Exceeded(context.Features.Get<IForwarderErrorFeature>()?.Exception) is { } limit =>
                (limit.StatusCode, $"{limit.StatusCode} {limit.Message}"),
            ForwarderError.RequestBodyClient => (StatusCodes.Status400BadRequest,
                "400 Bad Request: reading the request body from the client failed"),
            _ => (StatusCodes.Status502BadGateway,
                $"502 Bad Gateway: upstream {upstream.Name} ({endpoint}) failed: {reason ?? error.ToString()}"),
        };
        await WriteAsync(context, status, text + "\n");
    }

    /// <summary>308 (the method and body are kept) to the same host, path and query over https.</summary>
    private static void RedirectToHttps(HttpContext context, Configuration.RedirectHttpsSettings redirect)
    {
        var request = context.Request;
        var host = redirect.Port is { } port and not 443 ? new HostString(request.Host.Host, port) : new HostString(request.Host.Host);
        context.Response.StatusCode = StatusCodes.Status308PermanentRedirect;
        context.Response.Headers.Location = $"https://{host.ToUriComponent()}{request.PathBase.ToUriComponent()}{request.Path.ToUriComponent()}{request.QueryString.ToUriComponent()}";
        context.Response.ContentLength = 0;
    }

    /// <summary>A WebSocket handshake (HTTP/1.1 upgrade or HTTP/2 extended CONNECT); the cheap test first, as the middleware's.</summary>
    private static bool IsWebSocket(HttpContext context) =>
        (context.Request.Headers.Upgrade.Count > 0 || HttpMethods.IsConnect(context.Request.Method)) && context.WebSockets.IsWebSocketRequest;

    private static Task WriteAsync(HttpContext context, int status, string body)
    {
        if (Grpc.GrpcStatusResponse.Applies(context, status)) return Grpc.GrpcStatusResponse.WriteAsync(context, status, body);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(body);
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.EndpointEjected, Level = LogLevel.Warning,
            Message = "Upstream {Upstream}: endpoint {Endpoint} could not be connected to; out of rotation for {Seconds}s")]
        public static partial void EndpointEjected(ILogger logger, string upstream, string endpoint, double seconds);

        [LoggerMessage(EventId = EventIds.Retried, Level = LogLevel.Information,
            Message = "Route {Route}: {Method} to {Failed} failed ({Reason}); retried on {Next}")]
        public static partial void Retried(ILogger logger, string route, string method, string failed, RetryReason reason, string next);

        [LoggerMessage(EventId = EventIds.NotRetried, Level = LogLevel.Warning,
            Message = "Route {Route}: {Method} to {Failed} could have been retried, but {Why}")]
        public static partial void NotRetried(ILogger logger, string route, string method, string failed, string why);

        [LoggerMessage(EventId = EventIds.ForwardFailed, Level = LogLevel.Warning,
            Message = "Route {Route}: forwarding to upstream {Upstream} ({Endpoint}) failed: {Error} {Reason}")]
        public static partial void ForwardFailed(ILogger logger, string route, string upstream, string endpoint, ForwarderError error, string? reason);

        [LoggerMessage(EventId = EventIds.ForwardFailedDetail, Level = LogLevel.Debug,
            Message = "Route {Route}: the forwarding failure's exception")]
        public static partial void ForwardFailedDetail(ILogger logger, string route, Exception exception);
    }
}
