using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.Hosting;

/// <summary>How a reload is applied, on a gateway in this process: every setting compared, nothing leaked, every change reported.</summary>
public sealed class ReloadApplyTests : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Config(string extra = "", string ejectFor = "10s", string otherAddress = "127.0.0.1:0") => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          listeners.other  { address = "{{otherAddress}}" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_upstream.Endpoint}}"], eject-for = {{ejectFor}} }
          routes.app   { listener = public, path-prefix = "/", upstream = app }
          routes.other { listener = other, path-prefix = "/", upstream = app }
          drain { announce = 0s, deadline = 10s }
          {{extra}}
        }
        """;

    private static GatewayReloader Reloader(InProcessGateway gateway) => gateway.Gateway.App.Services.GetRequiredService<GatewayReloader>();

    /// <summary>The running config with the listeners' bound ports written in (port 0 would mean "another port" to a reload).</summary>
    private static GatewaySettings Next(InProcessGateway gateway, string hocon) => GatewayConfigLoader.Parse(hocon, "test.conf") is var next
        ? next with { Listeners = [.. next.Listeners.Select(l => gateway.Gateway.Runtime.Listeners.All.FirstOrDefault(b => b.Name == l.Name) is { } bound && l.Address.Port == 0 ? l with { Address = bound.Address } : l)] }
        : null!;

    [Fact]
    public async Task A_change_of_eject_for_alone_replaces_the_pool_so_the_new_value_is_in_force()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        var before = gateway.Gateway.Runtime.Upstreams.Single();

        var report = await Reloader(gateway).ApplyAsync(Next(gateway, Config(ejectFor: "3s")));

        Assert.Equal(["app"], report.ChangedUpstreams);
        var after = gateway.Gateway.Runtime.Upstreams.Single();
        Assert.NotSame(before, after);
        Assert.Equal(TimeSpan.FromSeconds(3), after.Settings.EjectFor);
        // The same file again changes nothing.
        Assert.Empty((await Reloader(gateway).ApplyAsync(Next(gateway, Config(ejectFor: "3s")))).ChangedUpstreams);
        Assert.Same(after, gateway.Gateway.Runtime.Upstreams.Single());
    }

    [Fact]
    public async Task A_reload_refused_for_a_taken_address_gives_back_every_socket_it_bound_and_the_same_reload_succeeds_later()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        var free = Raw.FreePort();
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port;
        // Added in this order: "first" is bound before "second" fails.
        var adding = Config($$"""
            listeners.first  { address = "127.0.0.1:{{free}}" }
            listeners.second { address = "127.0.0.1:{{takenPort}}" }
            routes.first  { listener = first, path-prefix = "/", direct-response { status = 200, body = "first" } }
            routes.second { listener = second, path-prefix = "/", direct-response { status = 200, body = "second" } }
            """);

        var refused = await Assert.ThrowsAsync<GatewayConfigException>(() => Reloader(gateway).ApplyAsync(Next(gateway, adding)));
        Assert.Equal("gateway.listeners.second.address", refused.Key);
        using (var probe = new TcpListener(IPAddress.Loopback, free))
            probe.Start(); // "first" was given back: its port binds
        Assert.Equal(["public", "other"], gateway.Gateway.Runtime.Listeners.All.Select(l => l.Name));

        taken.Stop();
        var report = await Reloader(gateway).ApplyAsync(Next(gateway, adding));
        Assert.Equal(2, report.AddedListeners.Count);
        using var client = new HttpClient();
        Assert.Equal("first", await client.GetStringAsync($"http://127.0.0.1:{free}/"));
    }

    [Fact]
    public async Task The_report_names_every_listener_upstream_and_route_added_removed_or_changed_and_what_waits_for_a_restart()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config("routes.old { listener = public, path-prefix = \"/old\", upstream = app }"));

        var report = await Reloader(gateway).ApplyAsync(Next(gateway, Config("""
            upstreams.more { endpoints = ["127.0.0.1:9"] }
            routes.more  { listener = public, path-prefix = "/more", upstream = more }
            routes.other { listener = other, path-prefix = "/o", upstream = app }
            admin.token = "a-token-of-sixteen-chars"
            """)));

        Assert.Equal(["more"], report.AddedUpstreams);
        Assert.Equal(["more"], report.AddedRoutes);
        Assert.Equal(["old"], report.RemovedRoutes);
        Assert.Equal(["other"], report.ChangedRoutes);
        Assert.Contains("gateway.admin.token", report.Ignored);
        var text = report.ToString();
        Assert.Contains("upstreams +[more]", text);
        Assert.Contains("routes +[more] -[old] changed [other]", text);
        Assert.Contains("needs a restart: gateway.admin.token", text);
        Assert.Null(gateway.Gateway.Runtime.Settings.Admin.Token); // what runs is what /config shows
    }

    [Fact]
    public async Task A_reload_reopens_a_listener_drained_alone_that_is_still_in_the_file()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        var drains = gateway.Gateway.App.Services.GetRequiredService<DrainController>();
        var other = gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "other");
        Assert.Equal(Gateway.Lifecycle.BeginResult.Started, await drains.DrainAsync("other"));
        await Wait.UntilAsync(() => gateway.Gateway.Runtime.ListenerState("other").Phase == Gateway.Lifecycle.GatewayPhase.Drained);
        Assert.True(await Raw.IsRefusedAsync(other.Address));

        var report = await Reloader(gateway).ApplyAsync(Next(gateway, Config()));

        Assert.Equal(["other"], report.ReopenedListeners);
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri(gateway.Listener("other"), "/hello"))).StatusCode);
    }
}
