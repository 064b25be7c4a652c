using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Support;

/// <summary>
/// A real Kestrel upstream on 127.0.0.1 (ephemeral port) with the endpoints the proxy tests need:
/// /hello, /host, /ready, /echo (POST, PUT), /headers, /slow?ms=N, /held (half a body, the rest released by the test),
/// /gated (nothing at all until the test releases it),
/// /sse (two events, the second released by the test), /ws (echo).
/// </summary>
public sealed class UpstreamServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private UpstreamServer(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    /// <summary>host:port of the server, as the gateway's endpoints list takes it.</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Completing this lets /held send the rest of its body, and /gated answer.</summary>
    public TaskCompletionSource HeldRelease { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completing this lets /sse send its second event.</summary>
    public TaskCompletionSource SecondEvent { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What /ready answers: 200, or (false) 503 with <c>Connection: close</c>, as a backend about to leave does.</summary>
    public bool Ready
    {
        get => Volatile.Read(ref _ready);
        set => Volatile.Write(ref _ready, value);
    }

    private bool _ready = true;

    /// <summary>Connections open to this server now.</summary>
    public int OpenConnections => Volatile.Read(ref _connections);

    private int _connections;

    /// <summary>Requests that reached this server.</summary>
    public int Requests => _requests;

    private int _requests;

    /// <summary>Every request that reached this server and completed here: "METHOD /path?query body-bytes".</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Completed { get; } = new();

    /// <param name="port">0 picks a free port.</param>
    /// <param name="closeEachConnection">Every response carries <c>Connection: close</c>: no connection is ever reused.</param>
    /// <param name="address">The loopback address to listen on (default 127.0.0.1).</param>
    public static async Task<UpstreamServer> StartAsync(string name = "upstream", int port = 0, bool closeEachConnection = false, System.Net.IPAddress? address = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        UpstreamServer? server = null;
        builder.WebHost.UseKestrel(k => k.Listen(address ?? System.Net.IPAddress.Loopback, port, listen => listen.Use(next => async connection =>
        {
            Interlocked.Increment(ref server!._connections);
            try
            {
                await next(connection);
            }
            finally
            {
                Interlocked.Decrement(ref server._connections);
            }
        })));
        var app = builder.Build();
        server = new UpstreamServer(app, name);
        app.UseWebSockets();
        app.Use(async (ctx, next) =>
        {
            Interlocked.Increment(ref server._requests);
            ctx.Response.Headers["X-Upstream"] = name;
            if (closeEachConnection) ctx.Response.Headers.Connection = "close";
            var body = new CountingBody(ctx.Request.Body);
            ctx.Request.Body = body;
            await next(ctx);
            server.Completed.Enqueue($"{ctx.Request.Method} {ctx.Request.Path}{ctx.Request.QueryString} {body.BytesRead}");
        });
        // Part of a response, then the connection is reset: with a Content-Length, or chunked.
        app.MapGet("/reset-midway", async (HttpContext ctx, bool chunked) =>
        {
            if (!chunked) ctx.Response.ContentLength = 100_000;
            await ctx.Response.Body.WriteAsync(new byte[10_000]);
            await ctx.Response.Body.FlushAsync();
            await Task.Delay(50);
            ctx.Abort();
        });
        app.MapGet("/hello", () => $"hello from {name}");
        // A response under way: its head and first half are sent, the rest when the test releases it.
        app.MapGet("/held", async (HttpContext ctx) =>
        {
            ctx.Response.ContentLength = "held-start|held-end".Length;
            await ctx.Response.WriteAsync("held-start|", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            await server.HeldRelease.Task.WaitAsync(ctx.RequestAborted);
            await ctx.Response.WriteAsync("held-end", ctx.RequestAborted);
        });
        // A response that has not started: nothing is sent until the test releases it.
        app.MapGet("/gated", async (HttpContext ctx) =>
        {
            await server.HeldRelease.Task.WaitAsync(ctx.RequestAborted);
            return "gated";
        });
        app.MapGet("/host", (HttpContext ctx) => ctx.Request.Host.Value);
        app.MapGet("/ready", (HttpContext ctx) =>
        {
            if (server.Ready) return "ready";
            ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            ctx.Response.Headers.Connection = "close";
            return "leaving";
        });
        app.MapGet("/api/{**rest}", (HttpContext ctx) => $"api {ctx.Request.Path} from {name}");
        app.MapMethods("/echo", ["POST", "PUT"], async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = ctx.Request.ContentType ?? "application/octet-stream";
            await ctx.Request.Body.CopyToAsync(ctx.Response.Body);
        });
        app.MapGet("/headers", (HttpContext ctx) => string.Join("\n",
            ctx.Request.Headers.Where(h => h.Key.StartsWith("X-Forwarded", StringComparison.OrdinalIgnoreCase))
                .OrderBy(h => h.Key).Select(h => $"{h.Key}: {h.Value}")));
        app.MapGet("/slow", async (HttpContext ctx, int ms) =>
        {
            await Task.Delay(ms, ctx.RequestAborted);
            return $"slow {ms}ms from {name}";
        });
        app.MapGet("/sse", async (HttpContext ctx) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await ctx.Response.WriteAsync("data: first\n\n", ctx.RequestAborted);
            await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
            await server.SecondEvent.Task.WaitAsync(ctx.RequestAborted);
            await ctx.Response.WriteAsync("data: second\n\n", ctx.RequestAborted);
        });
        // An endless event stream: "data: tick N" every `ms`, each event written in two parts (a drain must not cut one).
        app.MapGet("/ticks", async (HttpContext ctx, int ms) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            for (var n = 0; !ctx.RequestAborted.IsCancellationRequested; n++)
            {
                await ctx.Response.WriteAsync($"id: {n}\ndata: tick", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await ctx.Response.WriteAsync($" {n}\n\n", ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.Delay(ms, ctx.RequestAborted);
            }
        });
        app.Map("/ws", async (HttpContext ctx) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest)
            {
                ctx.Response.StatusCode = 400;
                return;
            }
            using var socket = await ctx.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[4096];
            while (true)
            {
                var received = await socket.ReceiveAsync(buffer, ctx.RequestAborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", ctx.RequestAborted);
                    return;
                }
                var text = "echo: " + Encoding.UTF8.GetString(buffer, 0, received.Count);
                await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, ctx.RequestAborted);
            }
        });
        await app.StartAsync();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(bound).Authority;
        return server;
    }

    /// <summary>
    /// A gateway config in front of this server: listener <c>public</c> (and the admin API) on ephemeral loopback
    /// ports, everything routed here except <c>/idle</c>, which the gateway answers itself.
    /// </summary>
    public string GatewayConfig(string drain) => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{Endpoint}}"], response-timeout = 120s }
          routes.app    { listener = public, path-prefix = "/", upstream = app }
          routes.idle   { listener = public, path-prefix = "/idle", direct-response { status = 200, body = "idle" } }
          drain { {{drain}} }
        }
        """;

    public async ValueTask DisposeAsync()
    {
        SecondEvent.TrySetResult();
        HeldRelease.TrySetResult();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
