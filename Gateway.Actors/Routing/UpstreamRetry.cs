using System.Net.Http;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

/// <summary>
/// When a failed forward may be tried again on another endpoint: only when the request provably never reached the
/// upstream (no connection could be made) and replaying it is harmless (an idempotent method without a body).
/// </summary>
internal static class UpstreamRetry
{
    /// <summary>The forward failed before any connection to the endpoint existed: nothing was sent.</summary>
    public static bool NeverReached(HttpContext context, ForwarderError error)
    {
        if (error != ForwarderError.Request) return false;
        for (var e = context.Features.Get<IForwarderErrorFeature>()?.Exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
                return true;
            if (e is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
                return true;
        }
        return false;
    }

    /// <summary>Replaying is harmless: an idempotent method, no request body, nothing of the response sent yet.</summary>
    public static bool MayRetry(HttpContext context) =>
        !context.Response.HasStarted
        && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false
        && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
            || HttpMethods.IsOptions(context.Request.Method) || HttpMethods.IsPut(context.Request.Method)
            || HttpMethods.IsDelete(context.Request.Method) || HttpMethods.IsTrace(context.Request.Method));

    /// <summary>Clears what the failed attempt left on the context, so the next attempt starts clean.</summary>
    public static void Reset(HttpContext context)
    {
        context.Features.Set<IForwarderErrorFeature>(null);
        context.Response.StatusCode = StatusCodes.Status200OK;
    }
}
