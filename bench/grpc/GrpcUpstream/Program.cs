// The gRPC server (Grpc.AspNetCore, cleartext HTTP/2) behind every proxy in bench/grpc/grpc-bench.sh.
// Usage: GrpcUpstream <listen host:port>
using System.Net;
using Grpc.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core;

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(IPEndPoint.Parse(args.Length > 0 ? args[0] : "127.0.0.1:18600"), o => o.Protocols = HttpProtocols.Http2));
builder.Services.AddGrpc();
var app = builder.Build();
app.MapGrpcService<EchoService>();
app.Run();

internal sealed class EchoService : Bench.Echo.EchoBase
{
    public override Task<Bench.Message> Unary(Bench.Message request, ServerCallContext context) =>
        Task.FromResult(new Bench.Message { Text = request.Text });
}
