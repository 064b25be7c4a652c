using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Routing.Grpc;

/// <summary>The gRPC status a call was answered with, by the upstream or the gateway itself: for metrics and the access log.</summary>
internal static class GrpcResponseStatus
{
    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>The <c>grpc-status</c> of the trailers, or of the headers of a trailers-only answer; null when none was sent.</summary>
    public static int? Of(HttpContext context)
    {
        var value = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { } trailers && trailers.TryGetValue(GrpcProtocol.Status, out var t)
            ? t
            : context.Response.Headers[GrpcProtocol.Status];
        return int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var code) ? code : null;
    }

    /// <summary>The code's name as gRPC spells it (<c>OK</c>, <c>UNAVAILABLE</c>); <c>missing</c> or <c>invalid</c> otherwise, so that labels stay few.</summary>
    public static string Label(int? code) => code switch
    {
        null => "missing",
        >= 0 and < 17 => Names[code.Value],
        _ => "invalid",
    };
}
