using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Host;

/// <summary>SIGHUP reloads the config file of a running gateway process in place.</summary>
public sealed class ReloadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _a = null!;
    private UpstreamServer _b = null!;

    public async Task InitializeAsync()
    {
        _a = await UpstreamServer.StartAsync("a");
        _b = await UpstreamServer.StartAsync("b");
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private static string Config(string body) => $$"""
        gateway {
          admin.address = "127.0.0.1:0"
          drain.deadline = 20s
          {{body}}
        }
        """;

    private const int SigHup = 1;

    [Fact]
    public async Task Reload_switches_routes_and_upstreams_for_new_requests_adds_a_listener_and_fails_no_request()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config($$"""
            listeners.public { address = "127.0.0.1:0" }
            upstreams.app { endpoints = ["{{_a.Endpoint}}"] }
            routes.app { listener = public, path-prefix = "/", upstream = app }
            """));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var load = new LoadLoops(endpoint, loops: 8, maxRequestsPerLoop: 20_000);
        var running = load.RunAsync(stop.Token);
        await Task.Delay(500);

        await File.WriteAllTextAsync(gateway.ConfigPath!, Config($$"""
            listeners.public { address = "127.0.0.1:0" }
            listeners.extra  { address = "127.0.0.1:0" }
            upstreams.app { endpoints = ["{{_b.Endpoint}}"] }
            routes.app   { listener = public, path-prefix = "/", upstream = app }
            routes.extra { listener = extra, path-prefix = "/", direct-response { status = 200, body = "extra" } }
            """));
        gateway.Signal(SigHup);
        var reloaded = await gateway.WaitForLineAsync(@"Reloaded .* listeners \+\[extra \((\S+)\)\]", TimeSpan.FromSeconds(10));
        await Task.Delay(500);
        stop.Cancel();
        await running;

        output.WriteLine(load.Summary);
        Assert.Empty(load.Failures);
        using var client = new HttpClient();
        var after = await client.GetAsync($"http://{endpoint}/hello");
        Assert.Equal("b", after.Headers.GetValues("X-Upstream").Single());
        Assert.Equal("extra", await client.GetStringAsync($"http://{reloaded.Groups[1].Value}/"));
        Assert.True(_a.Requests > 0 && _b.Requests > 0, $"a={_a.Requests} b={_b.Requests}");
    }

    [Fact]
    public async Task A_removed_listener_drains_its_requests_then_refuses_connections()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config($$"""
            listeners.public { address = "127.0.0.1:0" }
            listeners.old    { address = "127.0.0.1:0" }
            upstreams.app { endpoints = ["{{_a.Endpoint}}"] }
            routes.app { listener = public, path-prefix = "/", upstream = app }
            routes.old { listener = old, path-prefix = "/", upstream = app }
            """));
        var addresses = await gateway.WaitUntilReadyAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync($"http://{addresses["old"]}/slow?ms=1500");
        // In flight means forwarded: a connection still in the kernel's accept queue is not yet the gateway's.
        await Wait.UntilAsync(() => _a.Requests >= 1);

        await File.WriteAllTextAsync(gateway.ConfigPath!, Config($$"""
            listeners.public { address = "127.0.0.1:0" }
            upstreams.app { endpoints = ["{{_a.Endpoint}}"] }
            routes.app { listener = public, path-prefix = "/", upstream = app }
            """));
        gateway.Signal(SigHup);
        await gateway.WaitForLineAsync(@"Reloaded .* -\[old\]", TimeSpan.FromSeconds(10));

        var response = await slow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose);
        await gateway.WaitForLineAsync("Listener old drained: completed=1", TimeSpan.FromSeconds(10));
        Assert.True(await Raw.IsRefusedAsync(addresses["old"]));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{addresses["public"]}/hello")).StatusCode);
    }

    [Fact]
    public async Task A_bad_file_is_rejected_with_its_reason_and_the_running_config_stays()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config($$"""
            listeners.public { address = "127.0.0.1:0" }
            upstreams.app { endpoints = ["{{_a.Endpoint}}"] }
            routes.app { listener = public, path-prefix = "/", upstream = app }
            """));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];

        await File.WriteAllTextAsync(gateway.ConfigPath!, Config("""
            listeners.public { address = "127.0.0.1:0" }
            routes.app { listener = public, path-prefix = "/", upstream = missing }
            """));
        gateway.Signal(SigHup);

        await gateway.WaitForLineAsync(@"Reload rejected, the running configuration stays: .*gateway\.routes\.app\.upstream: unknown upstream ""missing""", TimeSpan.FromSeconds(10));
        using var client = new HttpClient();
        var response = await client.GetAsync($"http://{endpoint}/hello");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("a", response.Headers.GetValues("X-Upstream").Single());
    }

    [Fact]
    public async Task Post_reload_on_the_admin_api_reloads_or_rejects_with_the_problems()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config($$"""
            listeners.public { address = "127.0.0.1:0" }
            upstreams.app { endpoints = ["{{_a.Endpoint}}"] }
            routes.app { listener = public, path-prefix = "/", upstream = app }
            """));
        var addresses = await gateway.WaitUntilReadyAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}") };
        using var client = new HttpClient();

        await File.WriteAllTextAsync(gateway.ConfigPath!, Config("""
            listeners.public { address = "127.0.0.1:0" }
            routes.app { listener = public, upstream = gone }
            """));
        var rejected = await admin.PostAsync("/reload", null);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected.StatusCode);
        Assert.Contains("gateway.routes.app.upstream", await rejected.Content.ReadAsStringAsync());
        Assert.Equal("a", (await client.GetAsync($"http://{addresses["public"]}/hello")).Headers.GetValues("X-Upstream").Single());

        await File.WriteAllTextAsync(gateway.ConfigPath!, Config($$"""
            listeners.public { address = "127.0.0.1:0" }
            upstreams.app { endpoints = ["{{_b.Endpoint}}"] }
            routes.app { listener = public, path-prefix = "/", upstream = app }
            """));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/reload", null)).StatusCode);
        Assert.Equal("b", (await client.GetAsync($"http://{addresses["public"]}/hello")).Headers.GetValues("X-Upstream").Single());
    }
}
