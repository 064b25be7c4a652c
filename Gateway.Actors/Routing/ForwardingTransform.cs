using Gateway.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

/// <summary>
/// The one place where an upstream request is built and where a response's head toward the client is finished, on
/// every path: plain requests, server-sent event streams, WebSocket handshakes (HTTP/1.1 upgrade and HTTP/2 extended
/// CONNECT) and retries. The relays wrap it (<see cref="WebSocketRelay"/> builds its handshake through it;
/// <see cref="EventStreamRelay"/> runs once it has seen an event stream); none replaces it. One instance per route.
/// </summary>
/// <remarks>
/// Both ways: the hop-by-hop headers and those named in <c>Connection</c> are removed, <c>Via</c> gains this hop,
/// and a framing the far side could read differently is refused. Toward the upstream the forwarding headers follow
/// the route's policy, <c>Host</c> is the upstream's own (or the client's, with <c>preserve-host</c>), and the target
/// is the client's, byte for byte (<see cref="RequestTarget"/>).
/// </remarks>
internal sealed class ForwardingTransform : HttpTransformer
{
    private readonly ForwardingSettings _settings;
    private readonly ForwardedHeaders _forwarded;
    private readonly Via _via;

    /// <summary>What a drain does to this route's event streams, which are recognised by their response.</summary>
    public StreamSettings Streams { get; }

    public ForwardingTransform(RouteSettings route, string viaName)
    {
        _settings = route.Forwarding;
        _forwarded = new ForwardedHeaders(route.Forwarding);
        _via = new Via(viaName);
        Streams = route.Streams;
    }

    public override async ValueTask TransformRequestAsync(HttpContext context, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        // Copies every header but the fixed hop-by-hop ones (and TE: trailers from an HTTP/2 client, for gRPC).
        await base.TransformRequestAsync(context, proxyRequest, destinationPrefix, cancellationToken);
        var client = context.Request.Headers;
        // First, so that a client cannot name a header the gateway sets below and have it removed.
        if (client.Connection.Count > 0) ConnectionOptions.RemoveNamed(client.Connection, proxyRequest);
        // With Content-Length and Transfer-Encoding both sent, Kestrel keeps the dropped length in X-Content-Length.
        if (client.TransferEncoding.Count > 0 && client.ContainsKey(KestrelDroppedLength))
            proxyRequest.Headers.Remove(KestrelDroppedLength);
        // TE is hop-by-hop: on an HTTP/1.1 hop it must be named in Connection too (RFC 9110 §10.1.4). Only an
        // HTTP/2 client's "TE: trailers" is kept (gRPC needs it), and a cleartext endpoint is spoken to in HTTP/1.1.
        if (HttpProtocol.IsHttp2(context.Request.Protocol) && destinationPrefix.StartsWith("http:", StringComparison.Ordinal)
            && proxyRequest.Headers.NonValidated.Contains(HeaderNames.TE))
            proxyRequest.Headers.Connection.Add(HeaderNames.TE);
        _forwarded.Apply(context, proxyRequest);
        proxyRequest.Headers.Host = _settings.PreserveHost ? context.Request.Host.Value : null;
        proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Via, _via.For(context.Request.Protocol));
        proxyRequest.RequestUri = RequestTarget.For(destinationPrefix, context);
    }

    /// <summary>Where Kestrel moves a Content-Length it dropped because Transfer-Encoding was present too.</summary>
    internal const string KestrelDroppedLength = "X-Content-Length";

    public override async ValueTask<bool> TransformResponseAsync(HttpContext context, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null) return false;
        await FinishResponseHeadAsync(context, proxyResponse, cancellationToken);
        if (proxyResponse.Content.Headers.ContentType?.MediaType is not "text/event-stream") return true;
        await EventStreamRelay.RunAsync(context, proxyResponse, Streams);
        return false;
    }

    /// <summary>
    /// Copies the upstream response's headers toward the client, less the hop-by-hop ones and those its Connection
    /// names, with this hop in Via. Throws when its framing cannot be relayed (the forwarder answers 502).
    /// </summary>
    /// <exception cref="InvalidDataException">The response's Transfer-Encoding or Content-Length is invalid.</exception>
    internal async ValueTask FinishResponseHeadAsync(HttpContext context, HttpResponseMessage proxyResponse, CancellationToken cancellationToken)
    {
        if (MessageFraming.ResponseProblem(proxyResponse) is { } problem)
            throw new InvalidDataException($"the response cannot be relayed: {problem}");
        await base.TransformResponseAsync(context, proxyResponse, cancellationToken);
        var toClient = context.Response.Headers;
        ConnectionOptions.RemoveNamed(proxyResponse, toClient);
        toClient.Append(HeaderNames.Via, _via.For(proxyResponse.Version));
    }

    /// <summary>This hop's Via entries (RFC 9110 §7.6.3), one per protocol version it received, made once.</summary>
    private sealed class Via(string name)
    {
        private readonly string _http10 = "1.0 " + name, _http11 = "1.1 " + name, _http2 = "2 " + name, _http3 = "3 " + name;

        public string For(string protocol) =>
            HttpProtocol.IsHttp2(protocol) ? _http2 : HttpProtocol.IsHttp10(protocol) ? _http10 : HttpProtocol.IsHttp3(protocol) ? _http3 : _http11;

        public string For(Version version) => version.Major switch
        {
            2 => _http2,
            3 => _http3,
            _ => version.Minor == 0 ? _http10 : _http11,
        };
    }
}
