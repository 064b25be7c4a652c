using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Gateway.Tests.Grpc.Proto;
using Google.Protobuf;
using Grpc.Core;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Grpc;

/// <summary>
/// A real gRPC server (Grpc.AspNetCore on Kestrel) on 127.0.0.1, ephemeral port: cleartext HTTP/2 only (as services
/// in a cluster speak it), or TLS with a certificate of the test CA. It serves <c>Echo</c> (echo.proto) and
/// <c>grpc.health.v1.Health</c>.
/// </summary>
public sealed class GrpcTestServer : IAsyncDisposable
{
    /// <summary>Large enough for the 10 MB message tests.</summary>
    public const int MaxMessageBytes = 16 * 1024 * 1024;

    private readonly WebApplication _app;
    private bool _stopped;

    private GrpcTestServer(WebApplication app, string name, int port)
    {
        _app = app;
        Name = name;
        Port = port;
    }

    public string Name { get; }
    public int Port { get; }

    /// <summary>The endpoint as the gateway's config writes it.</summary>
    public string Endpoint(bool tls = false) => tls ? $"https://localhost:{Port}" : $"h2c://127.0.0.1:{Port}";

    /// <summary>Calls that reached this server.</summary>
    public int Calls => Service.Calls;

    public EchoService Service { get; private set; } = null!;

    /// <summary>What its gRPC health service (Grpc.AspNetCore.HealthChecks, server-wide) answers: SERVING or NOT_SERVING.</summary>
    public bool Serving
    {
        get => _serving.Value;
        set => _serving.Value = value;
    }

    private StrongBox<bool> _serving = new(true);

    public static async Task<GrpcTestServer> StartAsync(string name = "grpc", X509Certificate2? certificate = null, HttpProtocols protocols = HttpProtocols.Http2)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = certificate is null ? protocols : HttpProtocols.Http1AndHttp2;
            if (certificate is not null) listen.UseHttps(certificate);
        }));
        var service = new EchoService(name);
        builder.Services.AddSingleton(service);
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = MaxMessageBytes;
            o.MaxSendMessageSize = MaxMessageBytes;
        });
        var serving = new StrongBox<bool>(true);
        builder.Services.AddGrpcHealthChecks().AddCheck("serving", () => serving.Value ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy());
        var app = builder.Build();
        app.MapGrpcService<EchoService>();
        app.MapGrpcHealthChecksService();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GrpcTestServer(app, name, new Uri(address).Port) { Service = service, _serving = serving };
    }

    /// <summary>Stops as a gRPC server does on shutdown: GOAWAY to its connections, calls in flight finish, the port closes.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _app.StopAsync(cts.Token);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>The test service: each call kind, a chosen failure, and a unary call that answers late on purpose.</summary>
public sealed class EchoService(string name) : Echo.EchoBase
{
    private int _calls;

    public int Calls => _calls;

    /// <summary>The request metadata of the last call.</summary>
    public Metadata? LastHeaders { get; private set; }

    /// <summary>The HTTP <c>TE</c> header of the last call, as it arrived here.</summary>
    public string? LastTe { get; private set; }

    /// <summary>Server-streaming calls whose last message was written.</summary>
    public int StreamsCompleted => _streamsCompleted;

    private int _streamsCompleted;

    /// <summary>The HTTP request headers of the last call as they arrived here (names lower-case), metadata or not.</summary>
    public IReadOnlyDictionary<string, string> LastHttpHeaders { get; private set; } = new Dictionary<string, string>();

    /// <summary>When set, a server-streaming call writes its first message, then waits for this before the next ones.</summary>
    public TaskCompletionSource? StreamGate { get; set; }

    /// <summary>Messages written by server-streaming calls, all calls together.</summary>
    public int StreamMessagesWritten => _streamMessagesWritten;

    private int _streamMessagesWritten;

    private void Count(ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        LastHeaders = context.RequestHeaders;
        var http = context.GetHttpContext().Request.Headers;
        LastTe = http.TE;
        LastHttpHeaders = http.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
    }

    public override async Task<Message> Unary(Message request, ServerCallContext context)
    {
        Count(context);
        // Deliberately deaf to the deadline: the gateway's own clock is what a test of it must see.
        if (request.SleepMs > 0) await Task.Delay(request.SleepMs, CancellationToken.None);
        var headers = new Metadata { { "served-by", name } };
        // x-reply-with: NAME=VALUE adds that header to the answer (a test of what the gateway lets back through).
        if (context.RequestHeaders.GetValue("x-reply-with")?.Split('=', 2) is [var header, var value]) headers.Add(header, value);
        await context.WriteResponseHeadersAsync(headers);
        return new Message { Text = $"{name}: {request.Text}", Payload = request.Payload };
    }

    public override async Task ServerStream(StreamRequest request, IServerStreamWriter<Message> responseStream, ServerCallContext context)
    {
        Count(context);
        var payload = ByteString.CopyFrom(new byte[request.PayloadBytes]);
        for (var i = 0; i < request.Count; i++)
        {
            await responseStream.WriteAsync(new Message { Text = $"{name} {i}", Payload = payload }, context.CancellationToken);
            Interlocked.Increment(ref _streamMessagesWritten);
            if (i == 0 && StreamGate is { } gate) await gate.Task.WaitAsync(context.CancellationToken);
            if (request.IntervalMs > 0 && i < request.Count - 1) await Task.Delay(request.IntervalMs, context.CancellationToken);
        }
        Interlocked.Increment(ref _streamsCompleted);
    }

    public override async Task<Message> ClientStream(IAsyncStreamReader<Message> requestStream, ServerCallContext context)
    {
        Count(context);
        long bytes = 0;
        var count = 0;
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
        {
            count++;
            bytes += message.Payload.Length;
        }
        return new Message { Text = $"{name}: {count} messages, {bytes} bytes" };
    }

    public override async Task Bidi(IAsyncStreamReader<Message> requestStream, IServerStreamWriter<Message> responseStream, ServerCallContext context)
    {
        Count(context);
        await foreach (var message in requestStream.ReadAllAsync(context.CancellationToken))
            await responseStream.WriteAsync(new Message { Text = $"{name}: {message.Text}", Payload = message.Payload }, context.CancellationToken);
    }

    public override Task<Message> Fail(FailRequest request, ServerCallContext context)
    {
        Count(context);
        context.ResponseTrailers.Add("detail-bin", request.BinaryTrailer.ToByteArray());
        context.ResponseTrailers.Add("served-by", name);
        throw new RpcException(new Status((StatusCode)request.Code, request.Detail));
    }
}
