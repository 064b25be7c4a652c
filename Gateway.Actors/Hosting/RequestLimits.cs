using Gateway.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Gateway.Hosting;

/// <summary>Applies a listener's own body limits to one request, before a byte of its body is read.</summary>
internal static class RequestLimits
{
    public static HttpContext Apply(HttpContext context, LimitSettings limits)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = limits.MaxBodyBytes;
        // HTTP/2 streams share the connection's flow control: Kestrel takes no per-request minimum rate there.
        if (!HttpProtocol.IsHttp2(context.Request.Protocol) && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
            rate.MinDataRate = ServerLimits.Rate(limits);
        return context;
    }
}
