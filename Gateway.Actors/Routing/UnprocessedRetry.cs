using System.Net.Http;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

/// <summary>
/// HTTP/2 failures after which the upstream provably did not process the request, so it may be sent again on
/// another connection or endpoint whatever its method: the stream was refused (REFUSED_STREAM) or lay above the
/// last stream id of the upstream's GOAWAY (RFC 9113 §6.8: such streams were not and will not be processed).
/// </summary>
internal static class UnprocessedRetry
{
    private const long NoError = 0x0;
    private const long RefusedStream = 0x7;

    /// <summary>
    /// What YARP's request content says when the handler sends it a second time: the handler does that only after it
    /// judged the first try unprocessed (a refused stream, a GOAWAY below it) and retried by itself, which the
    /// forwarder's one-shot body cannot follow. YARP 2.3.0; <c>UpstreamRefusalTests</c> notice if it changes.
    /// </summary>
    private const string ResentByHandler = "Stream was already consumed.";

    /// <summary>
    /// The upstream refused the request's stream, by REFUSED_STREAM or by a GOAWAY below it, before any answer. The
    /// forwarder may report it as a failure of the request body too: the refusal cancelled the body's copy.
    /// </summary>
    public static bool Refused(HttpContext context, ForwarderError error) =>
        error is ForwarderError.Request or ForwarderError.RequestBodyDestination or ForwarderError.RequestBodyClient
        && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested
        && Refusal(context.Features.Get<IForwarderErrorFeature>()?.Exception);

    private static bool Refusal(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            // A stream a graceful GOAWAY (NO_ERROR) ends is one above its last stream id: those below run to their end.
            if (e is HttpProtocolException { ErrorCode: RefusedStream or NoError }) return true;
            if (e is InvalidOperationException { Message: ResentByHandler }) return true;
            if (e is AggregateException aggregate) return aggregate.InnerExceptions.Any(Refusal);
        }
        return false;
    }
}
