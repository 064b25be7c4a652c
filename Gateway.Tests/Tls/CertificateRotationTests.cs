using System.Net;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;
using Gateway.Host;
using Gateway.Tests.Support;
using Microsoft.Extensions.Logging;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Tls;

/// <summary>Certificate files replaced under a running gateway: new handshakes get the new one, nothing is dropped, a bad one is refused.</summary>
public sealed class CertificateRotationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TestPki _pki = new();
    private readonly CapturedLog _log = new();
    private UpstreamServer _upstream = null!;
    private GatewayApplication _gateway = null!;
    private string _cert = "";
    private string _key = "";
    private System.Security.Cryptography.X509Certificates.X509Certificate2 _first = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamServer.StartAsync();
        (_first, _cert, _key) = _pki.Server("server", "localhost");
        var file = Path.Combine(_pki.Folder, "gateway.conf");
        File.WriteAllText(file, $$"""
            gateway {
              listeners.public { address = "127.0.0.1:0", tls { certificate = "{{_cert}}", key = "{{_key}}" } }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
              routes.app { listener = public, path-prefix = "/", upstream = app }
            }
            """);
        var settings = GatewayConfigLoader.Load(file);
        _gateway = GatewayApplication.Create(settings, logging => logging.AddProvider(_log));
        await _gateway.App.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _gateway.App.StopAsync();
        await _gateway.App.DisposeAsync();
        await _upstream.DisposeAsync();
        _pki.Dispose();
    }

    private IPEndPoint Endpoint => _gateway.Runtime.Listeners.All.Single().Address;

    private string ServedSerial => _gateway.Runtime.Listeners.All.Single().Tls!.InService[0].Serial;

    [Fact]
    public async Task Replacing_the_files_under_load_fails_no_request_and_new_connections_get_the_new_certificate()
    {
        var clients = new[] { HttpVersion.Version11, HttpVersion.Version11, HttpVersion.Version20, HttpVersion.Version20 }
            .Select(v => new TlsClient(_pki.Ca, Endpoint, v)).ToList();
        var failures = 0;
        var requests = 0;
        using var stop = new CancellationTokenSource();
        var load = clients.Select(async client =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    var response = await client.Http.GetAsync("https://localhost/hello", CancellationToken.None);
                    if (response.StatusCode != HttpStatusCode.OK || await response.Content.ReadAsStringAsync() != "hello from upstream")
                        Interlocked.Increment(ref failures);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failures);
                }
                Interlocked.Increment(ref requests);
            }
        }).ToList();

        await Wait.UntilAsync(() => Volatile.Read(ref requests) >= 1000);
        var second = _pki.Issue("server", ["localhost"]);
        _pki.Write(second, "server");
        await Wait.UntilAsync(() => ServedSerial == second.SerialNumber);
        var atSwap = Volatile.Read(ref requests);
        await Wait.UntilAsync(() => Volatile.Read(ref requests) >= atSwap + 1000);

        using var after = new TlsClient(_pki.Ca, Endpoint);
        Assert.Equal("hello from upstream", await after.Http.GetStringAsync("https://localhost/hello"));
        stop.Cancel();
        await Task.WhenAll(load);

        output.WriteLine($"{requests} requests over 4 keep-alive clients, {atSwap} before the swap, {failures} failed");
        Assert.Equal(0, failures);
        foreach (var client in clients)
            Assert.Equal([_first.SerialNumber], client.Serials); // opened before: one handshake, kept through the swap
        Assert.Equal([second.SerialNumber], after.Serials);
        Assert.Contains(_log.Lines, l => l.Contains("now serves certificate") && l.Contains(second.SerialNumber));
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Post_reload_puts_the_new_certificate_in_service_when_it_answers_and_keeps_open_connections()
    {
        using var before = new TlsClient(_pki.Ca, Endpoint);
        Assert.Equal("hello from upstream", await before.Http.GetStringAsync("https://localhost/hello"));
        var second = _pki.Issue("server", ["localhost"]);
        _pki.Write(second, "server");

        using var admin = new HttpClient { BaseAddress = new Uri($"http://{_gateway.Admin.Address}") };
        var reload = await admin.PostAsync("/reload", null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.Equal(second.SerialNumber, ServedSerial);

        using var after = new TlsClient(_pki.Ca, Endpoint);
        Assert.Equal("hello from upstream", await after.Http.GetStringAsync("https://localhost/hello"));
        Assert.Equal("hello from upstream", await before.Http.GetStringAsync("https://localhost/hello"));
        Assert.Equal([second.SerialNumber], after.Serials);
        Assert.Equal([_first.SerialNumber], before.Serials); // the same connection, still open
        Assert.Contains(second.SerialNumber, await admin.GetStringAsync("/config"));
    }

    [Fact]
    public async Task A_bad_replacement_is_rejected_with_the_file_and_reason_and_the_old_certificate_stays()
    {
        var other = _pki.Issue("other", ["localhost"]);
        var expired = _pki.Issue("server", ["localhost"], notBefore: DateTimeOffset.UtcNow.AddDays(-10), notAfter: DateTimeOffset.UtcNow.AddDays(-1));
        var (otherCert, otherKey) = _pki.Write(other, "other");
        var cases = new (Action Replace, string Reason)[]
        {
            (() => TestPki.WriteAtomically(_key, File.ReadAllText(otherKey)), "does not match"),
            (() => TestPki.WriteAtomically(_cert, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"), "not a PEM certificate"),
            (() =>
            {
                TestPki.WriteAtomically(_cert, expired.ExportCertificatePem());
                TestPki.WriteAtomically(_key, expired.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
            }, "expired on"),
        };
        var original = (Cert: File.ReadAllText(_cert), Key: File.ReadAllText(_key));
        foreach (var (replace, reason) in cases)
        {
            replace();
            await Wait.UntilAsync(() => _log.Lines.Any(l => l.Contains("new certificate rejected") && l.Contains(reason)));
            Assert.Contains(_log.Lines, l => l.Contains("new certificate rejected") && l.Contains(reason) && (l.Contains(_cert) || l.Contains(_key)));
            Assert.Equal(_first.SerialNumber, ServedSerial);
            using var client = new TlsClient(_pki.Ca, Endpoint);
            Assert.Equal("hello from upstream", await client.Http.GetStringAsync("https://localhost/hello"));
            Assert.Equal([_first.SerialNumber], client.Serials);
            TestPki.WriteAtomically(_cert, original.Cert);
            TestPki.WriteAtomically(_key, original.Key);
            await Task.Delay(TimeSpan.FromSeconds(1)); // let the watcher settle on the good pair before the next case
        }
        Assert.DoesNotContain(_log.Lines, l => l.Contains("now serves certificate"));
    }
}
