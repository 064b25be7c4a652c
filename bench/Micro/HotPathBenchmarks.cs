using System.Net;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using Gateway.Configuration;
using Gateway.Listeners;
using Gateway.Routing;
using Gateway.Telemetry;
using Gateway.Upstreams;

namespace Gateway.Bench.Micro;

/// <summary>The per-request pieces the gateway owns (the rest is Kestrel and YARP): route match, counters, endpoint pick.</summary>
[MemoryDiagnoser]
public class HotPathBenchmarks
{
    private RouteTable _routes = null!;
    private CompiledRoute _route = null!;
    private UpstreamHandle _upstream = null!;
    private ListenerHandle _listener = null!;

    [GlobalSetup]
    public void Setup()
    {
        var upstreams = new[] { "api", "web", "static" }
            .Select(n => new UpstreamHandle(new UpstreamSettings(n,
                [new Uri("http://127.0.0.1:9001/"), new Uri("http://127.0.0.1:9002/"), new Uri("http://127.0.0.1:9003/")],
                TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30))))
            .ToList();
        // 20 routes on two listeners: prefixes of several depths, some bound to a host.
        var routes = Enumerable.Range(0, 10).SelectMany(i => new[]
        {
            new RouteSettings($"r{i}", "public", $"/service{i}/v1", null, "api", null),
            new RouteSettings($"h{i}", i % 2 == 0 ? "public" : "internal", $"/site{i}", $"host{i}.example.test", "web", null),
        }).Append(new RouteSettings("root", "public", "/", null, "static", null));
        _routes = new RouteTable(routes, upstreams, new GatewayMetrics(null!), "bench");
        _route = _routes.Match("public", "host4.example.test", "/site4/page")!;
        _upstream = upstreams[0];
        _listener = ListenerHandle.Bind("bench", new IPEndPoint(IPAddress.Loopback, 0));
    }

    [Benchmark]
    public bool MatchDeepPrefix() => _routes.Match("public", "example.test", "/service7/v1/users/42") is not null;

    [Benchmark]
    public bool MatchHostRoute() => _routes.Match("public", "host4.example.test", "/site4/page") is not null;

    [Benchmark]
    public bool MatchFallback() => _routes.Match("public", "example.test", "/nothing/here") is not null;

    [Benchmark]
    public void CountResponse() => _route.Count(200);

    [Benchmark]
    public int PickEndpoint()
    {
        var endpoint = _upstream.Endpoints.Lease()!;
        endpoint.Leave();
        return endpoint.InFlight;
    }

    [Benchmark]
    public void RequestCounters()
    {
        _listener.Counters.RequestStarted(true);
        _listener.Counters.RequestEnded(true);
    }
}

public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
