using System.Net;
using BenchmarkDotNet.Attributes;
using Gateway.Configuration;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Bench.Micro;

/// <summary>
/// Building one plain upstream request from a typical browser-like request: the gateway's transform (forwarding
/// headers, Connection options, Via, the byte-exact target) beside YARP's default transform and destination address,
/// which it replaced. Each includes the HttpRequestMessage the forwarder makes per request.
/// </summary>
[MemoryDiagnoser]
public class TransformBenchmarks
{
    private const string Prefix = "http://127.0.0.1:9001/";
    private HttpContext _context = null!;
    private ForwardingTransform _gateway = null!;

    [GlobalSetup]
    public void Setup()
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = "GET";
        request.Scheme = "http";
        request.Protocol = "HTTP/1.1";
        request.Host = new HostString("example.test");
        request.Path = "/service7/v1/users/42";
        request.QueryString = new QueryString("?page=2");
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = "/service7/v1/users/42?page=2";
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        request.Headers.Accept = "text/html,application/xhtml+xml";
        request.Headers.UserAgent = "Mozilla/5.0 (X11; Linux x86_64)";
        request.Headers.AcceptEncoding = "gzip, deflate, br";
        request.Headers.Connection = "keep-alive";
        request.Headers.Cookie = "session=abc123";
        _context = context;
        _gateway = new ForwardingTransform(new RouteSettings("r", "public", "/", null, "app", null), "gateway");
    }

    [Benchmark(Baseline = true)]
    public async Task<Uri?> YarpDefault()
    {
        using var message = new HttpRequestMessage();
        await HttpTransformer.Default.TransformRequestAsync(_context, message, Prefix, CancellationToken.None);
        message.RequestUri ??= RequestUtilities.MakeDestinationAddress(Prefix, _context.Request.Path, _context.Request.QueryString);
        return message.RequestUri;
    }

    [Benchmark]
    public async Task<Uri?> GatewayTransform()
    {
        using var message = new HttpRequestMessage();
        await _gateway.TransformRequestAsync(_context, message, Prefix, CancellationToken.None);
        return message.RequestUri;
    }
}
