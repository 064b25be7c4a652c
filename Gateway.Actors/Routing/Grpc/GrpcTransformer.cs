using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing.Grpc;

/// <summary>
/// What a gRPC call adds around the request transform (it wraps whichever transform builds the request, so header
/// hygiene stays decided in one place): the response headers stop the header clock, a gRPC response body is followed
/// message by message, and a call the gateway ended gets its own status as trailers instead of the upstream's.
/// </summary>
internal sealed class GrpcTransformer(HttpTransformer inner, GrpcCall call) : HttpTransformer
{
    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken) =>
        inner.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null) call.HeadersArrived();
        var copyBody = await inner.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (!copyBody || proxyResponse is null) return copyBody;
        if (proxyResponse.Content.Headers.ContentType?.MediaType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true)
            proxyResponse.Content = new GrpcResponseContent(proxyResponse.Content, call);
        return true;
    }

    public override ValueTask TransformResponseTrailersAsync(HttpContext httpContext, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        if (call.Ended is not { } ending) return inner.TransformResponseTrailersAsync(httpContext, proxyResponse, cancellationToken);
        if (httpContext.Features.Get<IHttpResponseTrailersFeature>()?.Trailers is { IsReadOnly: false } trailers)
        {
            trailers[GrpcProtocol.Status] = ((int)ending.Code).ToString(System.Globalization.CultureInfo.InvariantCulture);
            trailers[GrpcProtocol.Message] = GrpcProtocol.EncodeMessage(ending.Message);
        }
        return default;
    }
}
