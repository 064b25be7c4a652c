using System.Net;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Hosting;

/// <summary>
/// One gateway process with small limits in front of a counting upstream, shared by the hostile-request cases
/// (each case runs alone and compares what the upstream completed before and after it).
/// </summary>
public sealed class HostileGateway : IAsyncLifetime
{
    public UpstreamServer Upstream { get; private set; } = null!;
    public GatewayProcess Process { get; private set; } = null!;
    public IPEndPoint Endpoint { get; private set; } = null!;
    public IPEndPoint Admin { get; private set; } = null!;

    /// <summary>The limits the cases run into.</summary>
    public const int MaxLine = 1024;
    public const int MaxHeaders = 4096;
    public const int MaxBody = 1024;
    public static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(2);

    public async Task InitializeAsync()
    {
        Upstream = await UpstreamServer.StartAsync("app");
        Process = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{Upstream.Endpoint}}"] }
              routes.app { listener = public, path-prefix = "/", upstream = app }
              limits {
                max-request-line-bytes = {{MaxLine}}B
                max-header-bytes = {{MaxHeaders}}B
                max-body-bytes = {{MaxBody}}B
                header-timeout = {{HeaderTimeout.TotalSeconds}}s
                min-body-bytes-per-second = 100
                min-body-rate-grace = 2s
              }
              drain.deadline = 5s
            }
            """);
        var addresses = await Process.WaitUntilReadyAsync();
        Endpoint = addresses["public"];
        Admin = addresses["admin"];
    }

    /// <summary>A plain request still gets through (the gateway lives and serves).</summary>
    public async Task AssertServesAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var response = await client.GetAsync($"http://{Endpoint}/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello from app", await response.Content.ReadAsStringAsync());
    }

    public async Task DisposeAsync()
    {
        await Process.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
