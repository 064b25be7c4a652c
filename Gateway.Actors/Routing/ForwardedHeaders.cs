using System.Net;
using Gateway.Configuration;
using Microsoft.AspNetCore.Http;

namespace Gateway.Routing;

/// <summary>
/// A route's forwarding headers: what the upstream is told about the client. Under <c>replace</c> (the default) a
/// client can never speak for itself: its own X-Forwarded-*, Forwarded and X-Real-IP are dropped and X-Forwarded-For,
/// -Proto and -Host are set from the connection; <c>append</c> keeps a trusted peer's and adds ours; <c>off</c>
/// sends none.
/// </summary>
internal sealed class ForwardedHeaders(ForwardingSettings settings)
{
    private const string For = "X-Forwarded-For", Proto = "X-Forwarded-Proto", Host = "X-Forwarded-Host", Forwarded = "Forwarded";

    /// <summary>Every header through which a client could claim to be someone else, or to have come another way.</summary>
    private static readonly string[] Claims = [Forwarded, For, Proto, Host, "X-Forwarded-Port", "X-Forwarded-Prefix", "X-Real-IP"];

    private readonly TrustedProxies _trusted = new(settings.TrustedProxies);

    /// <summary>Sets the forwarding headers of <paramref name="proxyRequest"/>, to which the client's headers were copied.</summary>
    public void Apply(HttpContext context, HttpRequestMessage proxyRequest)
    {
        var peer = context.Connection.RemoteIpAddress;
        if (settings.ForwardedHeaders == ForwardedHeadersMode.Append && _trusted.Contains(peer))
        {
            Add(context, proxyRequest, peer);
            // RFC 7239: one element per proxy, appended to the trusted peer's list (not started when it sent none).
            if (context.Request.Headers.ContainsKey(Forwarded))
                proxyRequest.Headers.TryAddWithoutValidation(Forwarded, Element(context, peer));
            return;
        }
        var client = context.Request.Headers;
        foreach (var claim in Claims)
            if (client.ContainsKey(claim)) proxyRequest.Headers.Remove(claim);
        if (settings.ForwardedHeaders != ForwardedHeadersMode.Off) Add(context, proxyRequest, peer);
    }

    private static void Add(HttpContext context, HttpRequestMessage proxyRequest, IPAddress? peer)
    {
        var headers = proxyRequest.Headers;
        if (peer is not null) headers.TryAddWithoutValidation(For, Address(peer));
        headers.TryAddWithoutValidation(Proto, context.Request.Scheme);
        if (context.Request.Host.HasValue) headers.TryAddWithoutValidation(Host, context.Request.Host.Value);
    }

    private static string Address(IPAddress peer) => (peer.IsIPv4MappedToIPv6 ? peer.MapToIPv4() : peer).ToString();

    /// <summary>This hop as a Forwarded element: <c>for=…;proto=…;host=…</c>, quoted where the syntax needs it.</summary>
    private static string Element(HttpContext context, IPAddress? peer)
    {
        var address = peer is null ? "unknown" : Address(peer);
        var node = peer?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !peer.IsIPv4MappedToIPv6 ? $"\"[{address}]\"" : address;
        var element = $"for={node};proto={context.Request.Scheme}";
        return context.Request.Host.HasValue ? $"{element};host=\"{context.Request.Host.Value.Replace("\"", "")}\"" : element;
    }
}
