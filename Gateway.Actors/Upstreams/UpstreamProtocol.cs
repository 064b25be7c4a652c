using System.Net;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Upstreams;

/// <summary>How the gateway speaks to one endpoint: chosen by the scheme the endpoint is written with.</summary>
internal enum UpstreamProtocol
{
    /// <summary><c>host:port</c> or <c>http://</c>: HTTP/1.1 in cleartext.</summary>
    Http11,
    /// <summary><c>h2c://</c>: HTTP/2 in cleartext with prior knowledge (no upgrade), as gRPC services in a cluster speak it.</summary>
    H2c,
    /// <summary><c>https://</c>: TLS, and HTTP/2 or HTTP/1.1 as ALPN decides.</summary>
    Https,
}

/// <summary>The endpoint schemes and what each one means on the wire.</summary>
internal static class UpstreamProtocols
{
    /// <summary>The scheme of an endpoint spoken to in HTTP/2 with prior knowledge.</summary>
    public const string H2cScheme = "h2c";

    public static UpstreamProtocol Of(Uri endpoint) => endpoint.Scheme switch
    {
        H2cScheme => UpstreamProtocol.H2c,
        "https" => UpstreamProtocol.Https,
        _ => UpstreamProtocol.Http11,
    };

    /// <summary>The prefix requests are sent to: an <c>h2c://</c> endpoint is an <c>http://</c> URI on the wire.</summary>
    internal static string Destination(Uri endpoint) =>
        Of(endpoint) == UpstreamProtocol.H2c ? "http" + endpoint.ToString()[H2cScheme.Length..] : endpoint.ToString();

    /// <summary>
    /// The forwarder's version settings for the protocol: HTTP/2 only for h2c (a refusal is an error, never a silent
    /// downgrade), HTTP/2 preferred over TLS (ALPN may settle on HTTP/1.1), HTTP/1.1 otherwise.
    /// </summary>
    internal static ForwarderRequestConfig RequestConfig(UpstreamProtocol protocol, TimeSpan responseTimeout) => protocol switch
    {
        UpstreamProtocol.H2c => new() { ActivityTimeout = responseTimeout, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
        UpstreamProtocol.Https => new() { ActivityTimeout = responseTimeout, Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower },
        _ => new() { ActivityTimeout = responseTimeout, Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionOrLower },
    };
}
