using System.Text;
using Gateway.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Gateway.Hosting;

/// <summary>
/// What a request must be before a byte of it is forwarded: within its listener's body limits (a declared length over
/// the limit is answered here, so the upstream never sees the start of a request that cannot complete), and of a kind
/// a reverse proxy forwards (a CONNECT tunnel is not: answered 501, not blamed on the upstream as a 502), framed as
/// the upstream will read it too (RFC 9112 §6.1: a transfer coding other than chunked alone is answered 501).
/// </summary>
internal static class RequestAdmission
{
    /// <summary>
    /// Null when the request may be handled (its body limits set), or the answer that refuses it when it must not be
    /// forwarded. (No callback to hand the request on: a closure per request for nothing.)
    /// </summary>
    public static Task? Refuse(HttpContext context, LimitSettings limits)
    {
        var request = context.Request;
        // An HTTP/2 WebSocket arrives as an extended CONNECT and is relayed; a plain CONNECT asks for a tunnel.
        if (HttpMethods.IsConnect(request.Method) && context.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect != true)
            return RejectAsync(context, StatusCodes.Status501NotImplemented, "501 Not Implemented: the gateway does not open CONNECT tunnels");
        if (request.Headers.TransferEncoding is { Count: > 0 } codings)
        {
            // Kestrel has already refused (400) a coding list that does not end in chunked.
            if (HttpProtocol.IsHttp10(request.Protocol))
                return RejectAsync(context, StatusCodes.Status400BadRequest, "400 Bad Request: Transfer-Encoding in an HTTP/1.0 request, whose framing cannot be trusted");
            if (!Routing.MessageFraming.IsExactlyChunked(codings))
                return RejectAsync(context, StatusCodes.Status501NotImplemented, $"501 Not Implemented: Transfer-Encoding \"{codings}\": the gateway forwards chunked alone, no other coding");
        }
        if (request.ContentLength > limits.MaxBodyBytes)
            return RejectAsync(context, StatusCodes.Status413PayloadTooLarge, $"413 Content Too Large: the body is larger than {limits.MaxBodyBytes} bytes");

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limits.MaxBodyBytes;
        // HTTP/2 streams share the connection's flow control: Kestrel takes no per-request minimum rate there.
        if (!HttpProtocol.IsHttp2(request.Protocol) && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
            rate.MinDataRate = ServerLimits.Rate(limits);
        return null;
    }

    /// <summary>
    /// The 413 or 408 with which Kestrel cut a body off (max-body-bytes, min-body-bytes-per-second), wherever the
    /// forwarder's exception carries it (an aggregate of the body copy's failures, say); null for any other failure.
    /// </summary>
    public static BadHttpRequestException? Exceeded(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge or StatusCodes.Status408RequestTimeout } limit)
                return limit;
            if (e is AggregateException aggregate)
                return aggregate.InnerExceptions.Select(Exceeded).FirstOrDefault(l => l is not null);
        }
        return null;
    }

    private static Task RejectAsync(HttpContext context, int status, string text)
    {
        if (Routing.Grpc.GrpcStatusResponse.Applies(context, status)) return Routing.Grpc.GrpcStatusResponse.WriteAsync(context, status, text);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        // The rest of the body is never read: the connection cannot carry another request after it.
        context.Response.Headers.Connection = "close";
        var bytes = Encoding.UTF8.GetBytes(text + "\n");
        context.Response.ContentLength = bytes.Length;
        return context.Response.Body.WriteAsync(bytes).AsTask();
    }
}
