using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Configuration;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Host;

/// <summary>
/// The invalid files of the config table, fed to a running gateway through SIGHUP and POST /reload: each is refused
/// naming its key, and the running configuration is untouched (same /config, same routing). At startup an invalid file
/// binds nothing.
/// </summary>
public sealed class InvalidConfigReloadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int SigHup = 1;
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync("a");

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    /// <summary>A representative set: syntax, unknown keys, addresses, references, durations, drain timeline, admin, limits.</summary>
    private static readonly string[] Representative =
    [
        "unresolved substitution", "unknown key suggests the nearest", "unknown top-level key", "bad address",
        "duplicate listener addresses", "route to an unknown upstream", "route to an unknown listener", "route with no action",
        "endpoint without port", "negative timeout", "bad duration", "announce longer than deadline", "no listener",
        "short token", "bad log format", "limit not a size", "server-wide limit on a listener",
    ];

    /// <summary>A file the gateway accepts: everything to the upstream, its listener on <paramref name="port"/>.</summary>
    private string ValidConfig(int port) => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:{{port}}" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
          routes.app { listener = public, path-prefix = "/", upstream = app }
          drain.deadline = 5s
        }
        """;

    [Fact]
    public async Task Every_invalid_file_is_refused_by_SIGHUP_and_POST_reload_naming_its_key_and_the_gateway_serves_on_unchanged()
    {
        var valid = ValidConfig(port: 0);
        await using var gateway = GatewayProcess.StartWithConfig(valid);
        var addresses = await gateway.WaitUntilReadyAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}"), Timeout = TimeSpan.FromSeconds(10) };
        var config = await admin.GetStringAsync("/config");
        var cases = GatewayConfigLoaderTests.InvalidConfigs.Where(c => Representative.Contains((string)c[0])).ToList();
        Assert.Equal(Representative.Length, cases.Count);

        foreach (var row in cases)
        {
            var (name, hocon, key) = ((string)row[0], (string)row[1], (string)row[2]);
            await File.WriteAllTextAsync(gateway.ConfigPath!, hocon);

            var rejectedBefore = Rejections(gateway);
            gateway.Signal(SigHup);
            await Wait.UntilAsync(() => Rejections(gateway) > rejectedBefore, limit: TimeSpan.FromSeconds(10));
            var logged = gateway.Output.Last(l => l.Contains("Reload rejected", StringComparison.Ordinal));
            var posted = await admin.PostAsync("/reload", null);
            var answer = await posted.Content.ReadAsStringAsync();

            output.WriteLine($"{name}: SIGHUP logged \"{logged[logged.IndexOf("Reload rejected", StringComparison.Ordinal)..]}\"; POST /reload {(int)posted.StatusCode}");
            Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(gateway.ConfigPath!)}:\d+(:\d+)?: {System.Text.RegularExpressions.Regex.Escape(key)}: ", logged);
            Assert.Equal(HttpStatusCode.UnprocessableEntity, posted.StatusCode);
            Assert.Contains(key, answer);
            Assert.Equal(config, await admin.GetStringAsync("/config"));
            var routed = await client.GetAsync($"http://{addresses["public"]}/hello");
            Assert.Equal(HttpStatusCode.OK, routed.StatusCode);
            Assert.Equal("a", routed.Headers.GetValues("X-Upstream").Single());
        }
        Assert.DoesNotContain(gateway.Output, l => l.Contains("Reloaded ", StringComparison.Ordinal));
    }

    private static int Rejections(GatewayProcess gateway) => gateway.Output.Count(l => l.Contains("Reload rejected", StringComparison.Ordinal));

    [Fact]
    public async Task An_invalid_file_at_startup_binds_nothing_so_the_gateway_serving_its_address_keeps_it()
    {
        var port = FreePort();
        var serving = ValidConfig(port);
        await using var running = GatewayProcess.StartWithConfig(serving);
        await running.WaitUntilReadyAsync();

        // The same address, a free admin port, and one invalid key elsewhere: validation must refuse it before any bind.
        await using var invalid = GatewayProcess.StartWithConfig(serving.Replace("drain.deadline = 5s", "drain.deadline = soon"));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var served = 0;
        while (!invalid.Exited.IsCompleted && served < 2_000)
        {
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://127.0.0.1:{port}/hello")).StatusCode);
            served++;
        }

        Assert.Equal(2, await invalid.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        output.WriteLine($"{served} requests served by the running gateway while the invalid one started and exited");
        var line = Assert.Single(invalid.Output, l => l.Length > 0);
        Assert.Contains("gateway.drain.deadline", line);
        Assert.DoesNotContain("in use", line);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://127.0.0.1:{port}/hello")).StatusCode);

        // And once nobody serves it, the port is free: the refused start left nothing behind.
        await invalid.DisposeAsync();
        running.Signal(GatewayProcess.SigTerm);
        Assert.Equal(0, await running.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        using var probe = new TcpListener(IPAddress.Loopback, port);
        probe.Start();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
