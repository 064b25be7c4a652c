using System.Net.Http;
using Gateway.Routing.Grpc;
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
    private const long RefusedStream = 0x7;

    /// <summary>The upstream refused the request's stream, by REFUSED_STREAM or by a GOAWAY below it.</summary>
    public static bool Refused(HttpContext context, ForwarderError error)
    {
        if (error != ForwarderError.Request) return false;
        for (var e = context.Features.Get<IForwarderErrorFeature>()?.Exception; e is not null; e = e.InnerException)
        {
            if (e is HttpProtocolException { ErrorCode: RefusedStream }) return true;
            if (e is HttpRequestException && IsGoAwayRefusal(e.Message)) return true;
        }
        return false;
    }

    /// <summary>
    /// The request can be sent again exactly as the client sent it: a gRPC call whose body read so far is still held
    /// (it is rewound for the next attempt).
    /// </summary>
    public static bool TryRewind(HttpContext context) => GrpcCall.Of(context)?.RequestBody.Rewind() == true;

    private static bool IsGoAwayRefusal(string message) => message.Contains("GOAWAY", StringComparison.OrdinalIgnoreCase);
}
