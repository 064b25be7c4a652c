using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.Configuration;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Admin;

/// <summary>The admin API against a gateway on real sockets, with a real upstream.</summary>
public sealed class AdminApiTests : IAsyncLifetime
{
    private const string Token = "a-token-of-sixteen-chars";
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Config(string extra = "", string announce = "0s") => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          listeners.other  { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
          routes.app   { listener = public, path-prefix = "/", upstream = app }
          routes.other { listener = other, path-prefix = "/", upstream = app }
          drain { announce = {{announce}}, deadline = 20s }
          {{extra}}
        }
        """;

    private static HttpClient AdminClient(InProcessGateway gateway, string? token = null)
    {
        var client = new HttpClient { BaseAddress = gateway.Admin, Timeout = TimeSpan.FromSeconds(20) };
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<JsonElement> Json(HttpClient client, string path) =>
        JsonDocument.Parse(await client.GetStringAsync(path)).RootElement;

    [Fact]
    public async Task With_a_token_every_request_must_carry_it()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config($"admin.token = \"{Token}\""));
        using var anonymous = AdminClient(gateway);
        using var wrong = AdminClient(gateway, "not-the-right-token-at-all");
        using var authorized = AdminClient(gateway, Token);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/drain")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.PostAsync("/drain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/drain?token={Token}", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await authorized.GetAsync("/drain")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync($"/?token={Token}")).StatusCode);
        Assert.True(gateway.Gateway.Runtime.State.Ready, "no unauthorized request may have started a drain");

        var config = await authorized.GetStringAsync("/config");
        Assert.Contains("\"token\":\"***\"", config);
        Assert.DoesNotContain(Token, config);
    }

    [Fact]
    public void An_admin_address_beyond_loopback_without_a_token_is_refused()
    {
        var error = Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Parse(
            """
            gateway {
              listeners.p { address = "127.0.0.1:0" }
              admin.address = "0.0.0.0:15000"
            }
            """, "t.conf"));
        Assert.Equal("gateway.admin.token", error.Key);
        Assert.Contains("beyond loopback", error.Problem);
    }

    [Fact]
    public async Task Post_drain_drains_without_exit_and_the_metrics_show_it()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var admin = AdminClient(gateway);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync(new Uri(gateway.Listener(), "/slow?ms=1500"));
        await Wait.UntilAsync(async () => (await admin.GetStringAsync("/metrics")).Contains("gateway_requests_in_flight{listener=\"public\"} 1"));

        var started = await admin.PostAsync("/drain", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/drain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.GetAsync("/ready")).StatusCode);

        await Wait.UntilAsync(async () => (await Json(admin, "/drain")).GetProperty("phase").GetString() == "Draining");
        var metrics = await admin.GetStringAsync("/metrics");
        Assert.Contains("gateway_draining 1", metrics);
        Assert.Contains("gateway_drain_phase{phase=\"Draining\"} 1", metrics);
        Assert.Contains("gateway_listener_accepting{listener=\"public\"} 0", metrics);
        // A duration that runs (its size depends on how long the unbind took on a busy machine).
        var duration = System.Text.RegularExpressions.Regex.Match(metrics, @"(?m)^gateway_drain_duration_seconds (\S+)").Groups[1].Value;
        Assert.True(double.Parse(duration, System.Globalization.CultureInfo.InvariantCulture) > 0, $"drain duration {duration}");

        var response = await slow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose);
        await Wait.UntilAsync(async () => (await Json(admin, "/drain")).GetProperty("state").GetString() == "drained");
        Assert.Equal("Completed", (await Json(admin, "/drain")).GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/live")).StatusCode);
        Assert.True(await Raw.IsRefusedAsync(gateway.Gateway.Runtime.Listeners.All[0].Address));
        Assert.Contains("gateway_requests_total{route=\"app\",class=\"2xx\"} 1", await admin.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task Undrain_takes_a_drain_back_in_the_announce_window()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config(announce: "10s"));
        using var admin = AdminClient(gateway);

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain", null)).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.GetAsync("/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/undrain", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/ready")).StatusCode);
        using var client = new HttpClient();
        var response = await client.GetAsync(new Uri(gateway.Listener(), "/hello"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(true, response.Headers.ConnectionClose);
        Assert.True(gateway.Gateway.Runtime.Listeners.All.All(l => l.Accepting));
        var again = await admin.PostAsync("/undrain", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("NotDraining", JsonDocument.Parse(await again.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString());
    }

    [Fact]
    public async Task Undrain_after_a_finished_drain_serves_again_on_the_same_address_and_a_drain_again_drains()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var admin = AdminClient(gateway);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var listener = gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "public");

        for (var round = 1; round <= 2; round++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain", null)).StatusCode);
            await Wait.UntilAsync(async () => (await Json(admin, "/drain")).GetProperty("state").GetString() == "drained");
            Assert.True(await Raw.IsRefusedAsync(listener.Address), $"round {round}: a drained listener refuses connections");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.GetAsync("/ready")).StatusCode);

            var undrained = await admin.PostAsync("/undrain", null);
            Assert.Equal(HttpStatusCode.OK, undrained.StatusCode);
            var report = await Json(admin, "/drain");
            Assert.Equal("serving", report.GetProperty("state").GetString());
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/ready")).StatusCode);
            // The same address (the socket was closed and is bound anew), served as before.
            using var fresh = new HttpClient();
            var response = await fresh.GetAsync(new Uri(gateway.Listener(), "/hello"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.NotEqual(true, response.Headers.ConnectionClose);
        }
    }

    [Fact]
    public async Task Undrain_in_the_middle_of_a_drain_serves_new_connections_while_the_draining_ones_finish()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var admin = AdminClient(gateway);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync(new Uri(gateway.Listener(), "/slow?ms=1500"));
        await Wait.UntilAsync(() => gateway.Gateway.Runtime.Listeners.All[0].Counters.InFlightRequests == 1);

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain", null)).StatusCode);
        await Wait.UntilAsync(async () => (await Json(admin, "/drain")).GetProperty("phase").GetString() == "Draining");
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/undrain", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/ready")).StatusCode);
        using var fresh = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync(new Uri(gateway.Listener(), "/hello"))).StatusCode);
        var response = await slow;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.ConnectionClose, "the request in flight when the drain began still closes its connection");
    }

    [Fact]
    public async Task A_listener_drained_alone_comes_back_with_undrain_of_that_listener()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var admin = AdminClient(gateway);
        var other = gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "other");

        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain?listener=other", null)).StatusCode);
        await Wait.UntilAsync(() => Raw.IsRefusedAsync(other.Address));
        await Wait.UntilAsync(async () => (await Json(admin, "/drain")).GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("name").GetString() == "other").GetProperty("state").GetString() == "drained");
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsync("/drain?listener=other", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/undrain?listener=nope", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/undrain?listener=other", null)).StatusCode);
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(gateway.Listener("other"), "/hello"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(gateway.Listener(), "/hello"))).StatusCode);
        Assert.Equal("serving", (await Json(admin, "/drain")).GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("name").GetString() == "other").GetProperty("state").GetString());
    }

    [Fact]
    public async Task An_admin_drain_cannot_be_taken_back_once_the_gateway_is_shutting_down()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config(announce: "3s"));
        using var admin = AdminClient(gateway);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain", null)).StatusCode);

        var stopping = gateway.StopAsync();
        await Wait.UntilAsync(() => gateway.Gateway.Runtime.State.Exiting);

        var refused = await admin.PostAsync("/undrain", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal("Exiting", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.GetAsync("/ready")).StatusCode);
        await stopping;
    }

    [Fact]
    public async Task Draining_one_listener_leaves_the_others_serving()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var admin = AdminClient(gateway);
        var other = gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "other").Address;

        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/drain?listener=nope", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain?listener=other", null)).StatusCode);

        await Wait.UntilAsync(() => Raw.IsRefusedAsync(other));
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(gateway.Listener(), "/hello"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/ready")).StatusCode);
    }

    [Fact]
    public async Task Tree_shows_listeners_connections_and_upstreams_with_their_work()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var admin = AdminClient(gateway);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync(new Uri(gateway.Listener(), "/slow?ms=1000"));
        await Wait.UntilAsync(async () => (await Json(admin, "/tree")).GetProperty("inFlight").GetInt32() == 1);

        var tree = await Json(admin, "/tree");
        var children = tree.GetProperty("children").EnumerateArray().ToList();
        var listener = children.Single(c => c.GetProperty("name").GetString() == "listener-public");
        var connection = listener.GetProperty("children").EnumerateArray().Single();
        Assert.Equal("connection", connection.GetProperty("kind").GetString());
        Assert.Equal(1, connection.GetProperty("inFlight").GetInt32());
        Assert.Contains(children, c => c.GetProperty("name").GetString() == "upstream-app" && c.GetProperty("inFlight").GetInt32() == 1);
        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
    }

    [Fact]
    public async Task Drain_report_and_metrics_count_open_streams_apart()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var admin = AdminClient(gateway);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.Listener(), "/sse"));
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var sse = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);

        var listener = (await Json(admin, "/drain")).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "public");
        Assert.Equal(1, listener.GetProperty("streams").GetInt64());
        Assert.Contains("gateway_streams{listener=\"public\"} 1", await admin.GetStringAsync("/metrics"));

        _upstream.SecondEvent.SetResult();
        await (await sse.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null);
        await Wait.UntilAsync(async () => (await admin.GetStringAsync("/metrics")).Contains("gateway_streams{listener=\"public\"} 0"));
    }
}
