using System.Net;
using System.Text.Json;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// The gateway's drain applied to one backend, through the admin API and the command line of a real gateway
/// process: the endpoint's slow requests finish, no new request reaches it, <c>GET /upstreams</c> and
/// <c>drain --upstream … --wait</c> report it drained, and an undrain brings it back.
/// </summary>
public sealed class EndpointDrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
    private UpstreamServer _a = null!;
    private UpstreamServer _b = null!;

    public async Task InitializeAsync()
    {
        _a = await UpstreamServer.StartAsync("a");
        _b = await UpstreamServer.StartAsync("b");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private GatewayProcess Gateway() => GatewayProcess.StartWithConfig($$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_a.Endpoint}}", "{{_b.Endpoint}}"], response-timeout = 60s, slow-start = 1s }
          routes.app { listener = public, path-prefix = "/", upstream = app }
        }
        """);

    private static async Task<GatewayProcess> CliAsync(params string[] args)
    {
        var cli = GatewayProcess.Start(args);
        await cli.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return cli;
    }

    private static int Hellos(UpstreamServer server) => server.Completed.Count(c => c.StartsWith("GET /hello", StringComparison.Ordinal));

    [Fact]
    public async Task A_drained_endpoint_finishes_its_slow_requests_takes_no_new_one_reports_drained_and_comes_back_when_undrained()
    {
        await using var gateway = Gateway();
        var addresses = await gateway.WaitUntilReadyAsync();
        var (site, admin) = (new Uri($"http://{addresses["public"]}"), new Uri($"http://{addresses["admin"]}"));
        var slow = Enumerable.Range(0, 4).Select(_ => _client.GetAsync(new Uri(site, "/slow?ms=3000"))).ToList();
        await Wait.UntilAsync(async () => (await EndpointView.OfAsync(_client, admin))[_a.Endpoint].InFlight == 2);

        var draining = GatewayProcess.Start("drain", "--admin", addresses["admin"].ToString(), "--upstream", "app", "--endpoint", _a.Endpoint, "--wait");
        await Wait.UntilAsync(async () => (await EndpointView.OfAsync(_client, admin))[_a.Endpoint].State == "draining");
        for (var i = 0; i < 20; i++)
        {
            using var response = await _client.GetAsync(new Uri(site, "/hello"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("b", response.Headers.GetValues("X-Upstream").Single());
        }
        Assert.Equal(2, (await EndpointView.OfAsync(_client, admin))[_a.Endpoint].InFlight);
        Assert.True(_a.OpenConnections >= 2, "the gateway's connections to the endpoint carry its slow requests");

        Assert.Equal(0, await draining.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        output.WriteLine(draining.OutputText);
        var samples = draining.Output.Where(l => l.Contains("in-flight")).ToList();
        Assert.Contains(samples, l => l.Contains("draining") && l.Contains("in-flight    2"));
        Assert.Contains("drained: its requests finished, its pooled connections are closed", draining.OutputText);
        foreach (var response in await Task.WhenAll(slow)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _a.Completed.Count(c => c.StartsWith("GET /slow", StringComparison.Ordinal)));
        Assert.Equal(0, Hellos(_a));
        var view = (await EndpointView.OfAsync(_client, admin))[_a.Endpoint];
        Assert.Equal(("drained", "node", 0), (view.State, view.DrainedBy, view.InFlight));
        await Wait.UntilAsync(() => _a.OpenConnections == 0);  // its pooled connections are closed, not left idle

        await using var listing = await CliAsync("upstreams", "--admin", addresses["admin"].ToString());
        output.WriteLine(listing.OutputText);
        Assert.Matches($@"app\s+{System.Text.RegularExpressions.Regex.Escape(_a.Endpoint)}\s+drained", listing.OutputText);
        Assert.Matches($@"app\s+{System.Text.RegularExpressions.Regex.Escape(_b.Endpoint)}\s+healthy", listing.OutputText);

        var undrain = await _client.PostAsync(new Uri(admin, $"/upstreams/app/undrain?endpoint={_a.Endpoint}"), null);
        Assert.Equal(HttpStatusCode.OK, undrain.StatusCode);
        Assert.Equal("Undrained", JsonDocument.Parse(await undrain.Content.ReadAsStringAsync()).RootElement.GetProperty("result").GetString());
        Assert.Equal("healthy", (await EndpointView.OfAsync(_client, admin))[_a.Endpoint].State);
        await Wait.UntilAsync(async () =>
        {
            await _client.GetAsync(new Uri(site, "/hello"));
            return Hellos(_a) > 0;
        });
        Assert.Contains("endpoint " + _a.Endpoint + " drained: nothing in flight", gateway.OutputText);
    }

    [Fact]
    public async Task A_drain_of_an_unknown_upstream_or_endpoint_is_refused_naming_the_known_ones()
    {
        await using var gateway = Gateway();
        var admin = new Uri($"http://{(await gateway.WaitUntilReadyAsync())["admin"]}");
        async Task<(HttpStatusCode, string)> PostAsync(string path)
        {
            using var response = await _client.PostAsync(new Uri(admin, path), null);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        var (status, body) = await PostAsync("/upstreams/nope/drain?endpoint=x:1");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("UnknownUpstream", body);
        (status, body) = await PostAsync("/upstreams/app/drain?endpoint=127.0.0.1:1");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains(_a.Endpoint, body);
        (status, body) = await PostAsync("/upstreams/app/drain");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("?endpoint=host:port", body);

        await using var cli = await CliAsync("drain", "--admin", admin.Authority, "--upstream", "app", "--endpoint", "127.0.0.1:1");
        Assert.Equal(1, cli.ExitCode);
        Assert.Contains("endpoint drain refused (404): UnknownEndpoint", cli.OutputText);
        Assert.All((await EndpointView.OfAsync(_client, admin)).Values, e => Assert.Equal("healthy", e.State));
    }
}
