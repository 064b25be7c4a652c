// A minimal YARP 2.3.0 proxy: one route, one cluster, both from the command line.
// Usage: YarpPeer <listen host:port> <upstream http://host:port/> [h2c listen host:port] [h2c]
// The optional third address serves HTTP/2 only: Kestrel speaks cleartext HTTP/2 (prior knowledge) only there.
// A fourth argument "h2c" speaks HTTP/2 with prior knowledge to the upstream too (a gRPC server), as YARP is told to.
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Yarp.ReverseProxy.Configuration;

var listen = IPEndPoint.Parse(args.Length > 0 ? args[0] : "127.0.0.1:18400");
var upstream = args.Length > 1 ? args[1] : "http://127.0.0.1:18100/";
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(listen);
    if (args.Length > 2) kestrel.Listen(IPEndPoint.Parse(args[2]), o => o.Protocols = HttpProtocols.Http2);
});
builder.Services.AddReverseProxy().LoadFromMemory(
    [new RouteConfig { RouteId = "all", ClusterId = "app", Match = new RouteMatch { Path = "{**rest}" } }],
    [new ClusterConfig
    {
        ClusterId = "app",
        Destinations = new Dictionary<string, DestinationConfig> { ["d"] = new() { Address = upstream } },
        HttpRequest = args.Length > 3 && args[3] == "h2c"
            ? new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact }
            : null,
    }]);
var app = builder.Build();
app.MapReverseProxy();
app.Run();
