using Microsoft.AspNetCore.Http;

namespace Gateway.Routing.Grpc;

/// <summary>
/// A failure the gateway itself produces, told to a gRPC client in its own protocol: a trailers-only response (HTTP
/// 200, <c>application/grpc</c>, <c>grpc-status</c> and <c>grpc-message</c> in the one header block that ends the
/// stream), never an HTTP error with a text body, which a gRPC client can only report as "bad gRPC response".
/// </summary>
internal static partial class GrpcStatusResponse
{
    /// <summary>The gateway is about to answer <paramref name="status"/> itself to a gRPC call.</summary>
    public static bool Applies(HttpContext context, int status) => status >= 400 && GrpcProtocol.IsGrpc(context.Request);

    /// <summary>
    /// The gRPC status of each HTTP failure the gateway produces: refused or unreachable → UNAVAILABLE, response
    /// timeout → DEADLINE_EXCEEDED, no route → UNIMPLEMENTED, a limit → RESOURCE_EXHAUSTED.
    /// </summary>
    public static GrpcStatusCode For(int status) => status switch
    {
        StatusCodes.Status404NotFound or StatusCodes.Status501NotImplemented => GrpcStatusCode.Unimplemented,
        StatusCodes.Status502BadGateway or StatusCodes.Status503ServiceUnavailable => GrpcStatusCode.Unavailable,
        StatusCodes.Status504GatewayTimeout => GrpcStatusCode.DeadlineExceeded,
        StatusCodes.Status408RequestTimeout or StatusCodes.Status413PayloadTooLarge or StatusCodes.Status414UriTooLong
            or StatusCodes.Status429TooManyRequests or StatusCodes.Status431RequestHeaderFieldsTooLarge => GrpcStatusCode.ResourceExhausted,
        StatusCodes.Status400BadRequest => GrpcStatusCode.Internal,
        _ => GrpcStatusCode.Unknown,
    };

    /// <summary>Answers the call with the gRPC status for <paramref name="status"/>; <paramref name="text"/> becomes its message.</summary>
    public static Task WriteAsync(HttpContext context, int status, string text)
    {
        var message = GrpcCall.Of(context)?.DescribeTimeout(status) ?? WithoutStatusLine(text);
        return WriteAsync(context, For(status), message);
    }

    public static Task WriteAsync(HttpContext context, GrpcStatusCode code, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = context.Request.ContentType?.StartsWith("application/grpc-web", StringComparison.OrdinalIgnoreCase) == true
            ? context.Request.ContentType
            : "application/grpc";
        response.Headers[GrpcProtocol.Status] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[GrpcProtocol.Message] = GrpcProtocol.EncodeMessage(message);
        return Task.CompletedTask;
    }

    /// <summary>"502 Bad Gateway: upstream api … failed: …" → "upstream api … failed: …", one line.</summary>
    private static string WithoutStatusLine(string text) => StatusLine().Replace(text.TrimEnd('\n'), "", 1);

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{3} (?:[A-Za-z -]+: )?")]
    private static partial System.Text.RegularExpressions.Regex StatusLine();
}
