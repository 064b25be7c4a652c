using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Tls;

/// <summary>A real Kestrel HTTPS upstream on 127.0.0.1 with a certificate of the test CA; optionally it requires a client certificate of that CA.</summary>
public sealed class TlsUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TlsUpstream(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<TlsUpstream> StartAsync(TestPki pki, X509Certificate2 certificate, bool requireClientCertificate = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = requireClientCertificate ? ClientCertificateMode.RequireCertificate : ClientCertificateMode.NoCertificate,
            ClientCertificateValidation = (client, _, _) => TlsClient.Trusts(pki.Ca, client, System.Net.Security.SslPolicyErrors.None),
        })));
        var app = builder.Build();
        app.MapGet("/hello", (HttpContext ctx) =>
            $"hello over {ctx.Request.Protocol} from tls upstream, client {ctx.Connection.ClientCertificate?.Subject ?? "anonymous"}");
        // Every request header as "name: value" lines, as the upstream saw them (HTTP/2 names are lower case).
        app.MapGet("/headers", (HttpContext ctx) =>
            string.Join("\n", ctx.Request.Headers.Select(h => $"{h.Key}: {h.Value}").Order(StringComparer.Ordinal)) + $"\nprotocol: {ctx.Request.Protocol}");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TlsUpstream(app, new Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(cts.Token);
        await _app.DisposeAsync();
    }
}
