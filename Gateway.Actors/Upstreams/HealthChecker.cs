using System.Net;
using Gateway.Configuration;

namespace Gateway.Upstreams;

/// <summary>
/// Asks an endpoint <c>GET path</c> (or, for a gRPC check, <c>grpc.health.v1.Health/Check</c>: see <see cref="GrpcHealthProbe"/>) on a connection of its own (opened for the check and closed after it, as HAProxy
/// does), so that an endpoint that stops accepting fails its next check, and a check never takes a pooled connection
/// from requests. An endpoint standing for one address of a DNS name is dialled at that address.
/// </summary>
internal sealed class HealthChecker : IDisposable
{
    private static readonly HttpRequestOptionsKey<IPEndPoint> PinnedKey = new("gateway.pinned");

    private readonly HealthCheckSettings _settings;
    private readonly TimeProvider _time;
    private readonly HttpMessageInvoker _invoker;

    public HealthChecker(HealthCheckSettings settings, UpstreamHandle upstream, TimeProvider time)
    {
        _settings = settings;
        _time = time;
        _invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = settings.Timeout,
            SslOptions = upstream.Ssl,
            ConnectCallback = (context, cancellationToken) =>
                context.InitialRequestMessage.Options.TryGetValue(PinnedKey, out var pinned)
                    ? UpstreamHandle.DialAsync(pinned, cancellationToken)
                    : UpstreamHandle.DialAsync(context.DnsEndPoint, cancellationToken),
        }, disposeHandler: true);
    }

    /// <summary>One check of <paramref name="endpoint"/>; never throws.</summary>
    public async Task<HealthCheckResult> CheckAsync(UpstreamEndpoint endpoint)
    {
        using var timeout = new CancellationTokenSource(_settings.Timeout, _time);
        using var request = _settings.Protocol == HealthCheckProtocol.Grpc ? GrpcHealthProbe.Request(endpoint, _settings.Service) : HttpRequest(endpoint);
        request.Headers.UserAgent.ParseAdd("gateway-health-check");
        if (endpoint.Pinned is { } pinned) request.Options.Set(PinnedKey, pinned);
        try
        {
            using var response = await _invoker.SendAsync(request, timeout.Token).ConfigureAwait(false);
            if (_settings.Protocol == HealthCheckProtocol.Grpc)
            {
                var (passed, detail) = await GrpcHealthProbe.ReadAsync(response, timeout.Token).ConfigureAwait(false);
                return new HealthCheckResult(_time.GetUtcNow(), passed, detail);
            }
            var status = (int)response.StatusCode;
            return new HealthCheckResult(_time.GetUtcNow(), _settings.Accepts(status), status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (OperationCanceledException)
        {
            return new HealthCheckResult(_time.GetUtcNow(), false, $"no answer within {_settings.Timeout.TotalSeconds:0.###}s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException or ObjectDisposedException)
        {
            return new HealthCheckResult(_time.GetUtcNow(), false, e.GetBaseException().Message);
        }
    }

    private HttpRequestMessage HttpRequest(UpstreamEndpoint endpoint)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(endpoint.Destination), _settings.Path.TrimStart('/')))
        {
            Version = endpoint.RequestConfig.Version ?? System.Net.HttpVersion.Version11,
            VersionPolicy = endpoint.RequestConfig.VersionPolicy ?? HttpVersionPolicy.RequestVersionOrLower,
        };
        // One connection per check (HTTP/2 has no Connection header: its connection ends with the invoker's idle timeout).
        if (endpoint.Protocol == UpstreamProtocol.Http11) request.Headers.ConnectionClose = true;
        return request;
    }

    public void Dispose() => _invoker.Dispose();
}
