using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Hosting;

/// <summary>A listener's own limits: its connection count, and body limits a reload changes for the next request.</summary>
public sealed class ListenerLimitsTests : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync("app");

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Config(string publicLimits, string server = "") => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0", limits { {{publicLimits}} } }
          listeners.other  { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
          routes.app   { listener = public, path-prefix = "/", upstream = app }
          routes.other { listener = other, path-prefix = "/", upstream = app }
          routes.idle  { listener = public, path-prefix = "/idle", direct-response { status = 200, body = "idle" } }
          drain.deadline = 5s
          {{server}}
        }
        """;

    [Fact]
    public async Task A_connection_beyond_max_connections_is_closed_at_once_and_the_next_one_after_a_close_is_served()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config("max-connections = 2"));
        var addresses = await gateway.WaitUntilReadyAsync();
        using var first = await RawHttp1Connection.OpenAsync(addresses["public"]);
        using var second = await RawHttp1Connection.OpenAsync(addresses["public"]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await first.GetAsync("/idle", cts.Token);
        await second.GetAsync("/idle", cts.Token);

        var third = await HostileClient.ExchangeAsync(addresses["public"], Encoding.ASCII.GetBytes("GET /hello HTTP/1.1\r\nHost: gateway.test\r\n\r\n"), TimeSpan.FromSeconds(10));

        Assert.Equal((null, PeerClose.Fin), (third.Status, third.End));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}") };
        Assert.Contains("gateway_connections_over_limit_total{listener=\"public\"} 1", await admin.GetStringAsync("/metrics"));
        // The limit is the listener's own: another listener serves on.
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{addresses["other"]}/hello")).StatusCode);
        first.Dispose();
        await Wait.UntilAsync(async () => (await HostileClient.ExchangeAsync(addresses["public"],
            Encoding.ASCII.GetBytes("GET /hello HTTP/1.1\r\nHost: gateway.test\r\nConnection: close\r\n\r\n"), TimeSpan.FromSeconds(10))).Status == 200);
    }

    [Fact]
    public async Task A_reload_changes_a_listeners_body_limit_for_the_next_request()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config("max-body-bytes = 100B"));
        var addresses = await gateway.WaitUntilReadyAsync();
        using var client = new HttpClient();
        var body = new string('x', 500);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await client.PostAsync($"http://{addresses["public"]}/echo", new StringContent(body))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"http://{addresses["other"]}/echo", new StringContent(body))).StatusCode);

        await File.WriteAllTextAsync(gateway.ConfigPath!, Config("max-body-bytes = 1KiB"));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}") };
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/reload", null)).StatusCode);

        var after = await client.PostAsync($"http://{addresses["public"]}/echo", new StringContent(body));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal(body, await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_reload_that_changes_a_server_wide_limit_keeps_the_running_one_and_says_it_needs_a_restart()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config("", "limits.max-header-bytes = 4KiB"));
        var addresses = await gateway.WaitUntilReadyAsync();
        using var client = new HttpClient();
        using var big = new HttpRequestMessage(HttpMethod.Get, $"http://{addresses["public"]}/hello");
        big.Headers.Add("X-Big", new string('b', 6000));

        await File.WriteAllTextAsync(gateway.ConfigPath!, Config("", "limits.max-header-bytes = 64KiB"));
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}") };
        var reloaded = await admin.PostAsync("/reload", null);

        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        Assert.Contains("gateway.limits.max-header-bytes", await reloaded.Content.ReadAsStringAsync());
        await gateway.WaitForLineAsync("needs a restart: gateway.limits.max-header-bytes", TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await client.SendAsync(big)).StatusCode);
    }
}
