// One backend endpoint of the rolling-restart benchmark, on Kestrel.
// Usage: RollingBackend <listen 127.0.0.1:port> <name> <log file> <readiness lead in ms>
//   GET /ready  200, or 503 with Connection: close once the endpoint is leaving
//   GET /hello?id=…, POST /echo?id=… (echoes the body): each answered request is logged "<unix ms> <name> <METHOD> <id>"
// On SIGTERM it leaves as a backend in a rolling restart does: readiness 503 for the lead, then Kestrel's graceful
// stop (no new connection, requests in flight finish, idle keep-alive connections closed), then it exits.
using System.Net;
using System.Runtime.InteropServices;

var listen = IPEndPoint.Parse(args[0]);
var name = args[1];
var log = new StreamWriter(new FileStream(args[2], FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
var lead = TimeSpan.FromMilliseconds(int.Parse(args[3]));
var leaving = false;

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k => k.Listen(listen));
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
// SIGTERM is this program's own (below): the host's console lifetime would stop at once, without the lead.
builder.Services.AddSingleton<IHostLifetime, SignalsHandledBelow>();
var app = builder.Build();
void Log(string method, string? id)
{
    lock (log) log.WriteLine($"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {name} {method} {id}");
}
app.MapGet("/ready", (HttpContext ctx) =>
{
    if (!Volatile.Read(ref leaving)) return Results.Text("ready\n");
    ctx.Response.Headers.Connection = "close";
    return Results.Text("leaving\n", statusCode: 503);
});
app.MapGet("/hello", (string? id) =>
{
    Log("GET", id);
    return $"hello from {name}\n";
});
app.MapPost("/echo", async (HttpContext ctx, string? id) =>
{
    using var reader = new StreamReader(ctx.Request.Body);
    var body = await reader.ReadToEndAsync();
    Log("POST", id);
    return body;
});

using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    Volatile.Write(ref leaving, true);
    _ = Task.Delay(lead).ContinueWith(_ => app.StopAsync());
});
await app.RunAsync();

/// <summary>A host lifetime that leaves SIGTERM and SIGINT to the program.</summary>
internal sealed class SignalsHandledBelow : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
