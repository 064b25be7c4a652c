using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Cli;

/// <summary>The operator commands of the real executable, against real running gateways.</summary>
public sealed class CommandLineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static Task<GatewayProcess> RunCliAsync(params string[] args) => OperatorCli.RunAsync(args);

    private static string Write(string hocon) => OperatorCli.Write(hocon);

    private string Config(string deadline = "20s", string responseTimeout = "60s") => OperatorCli.Config(_upstream, deadline, responseTimeout);

    [Fact]
    public async Task Check_accepts_the_default_and_reports_every_problem_of_bad_files()
    {
        await using var ok = await RunCliAsync("check");
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("ok: embedded hocon/gateway.conf: 1 listener(s), 1 route(s), 0 upstream(s), announce 0s, deadline 30s", ok.OutputText);

        string[] bad =
        [
            "gateway.listeners.a.address = nowhere",
            "gateway { listeners.a.address = \"127.0.0.1:0\", drain.deadline = 0s }",
            "gateway { listeners.a.address = \"127.0.0.1:0\", routes.r { listener = b, direct-response { status = 200 } } }",
            "gateway { listeners.a.address = \"127.0.0.1:0\", routes.r { listener = a, upstream = u } }",
            "gateway { listeners.a.address = \"127.0.0.1:0\", upstreams.u.endpoints = [] }",
            "gateway { listeners.a.address = \"127.0.0.1:0\", drain { announce = 9s, deadline = 5s } }",
            "gateway { listeners.a.address = \"127.0.0.1:0\", admin.address = \"0.0.0.0:1\" }",
            "gateway { listeners.a.address = \"127.0.0.1:0\", lisenters.b = 1 }",
            "gateway { listeners.a.address = \"127.0.0.1:0\", log.format = yaml }",
            "gateway { listeners.a.address = \"127.0.0.1:0\", routes.r { listener = a, path-prefix = x, direct-response { status = 200 } } }",
            "gateway.admin.address = \"127.0.0.1:0\"",
        ];
        foreach (var hocon in bad)
        {
            await using var check = await RunCliAsync("check", "--config", Write(hocon));
            Assert.True(check.ExitCode == 2, $"{hocon}: exit {check.ExitCode}\n{check.OutputText}");
            Assert.Matches(@"gateway: configuration error: /\S+\.conf(:\d+)*: gateway\.\S+: ", check.OutputText);
        }

        var several = Write("gateway { listeners.a.address = nowhere, drain.deadline = soon, routes.r { listener = z, upstream = q } }");
        await using var all = await RunCliAsync("check", "--config", several, "--json");
        Assert.Equal(2, all.ExitCode);
        var problems = JsonDocument.Parse(all.Output.Single(l => l.StartsWith('{'))).RootElement.GetProperty("problems").EnumerateArray()
            .Select(p => p.GetProperty("key").GetString()).ToList();
        Assert.Equal(["gateway.listeners.a.address", "gateway.routes.r.listener", "gateway.drain.deadline"], problems);
    }

    [Fact]
    public async Task Config_prints_the_effective_configuration_with_the_token_masked()
    {
        await using var print = await RunCliAsync("config", "--config", Write("""
            gateway { listeners.a.address = "127.0.0.1:9", admin.token = "0123456789abcdef-secret" }
            """));
        Assert.Equal(0, print.ExitCode);
        Assert.Contains("listeners.a {", print.OutputText);
        Assert.Contains("address = \"127.0.0.1:9\"", print.OutputText);
        Assert.Contains("drain { announce = 0s, deadline = 30s, idle-quiet = 250ms, close-spread = 0s, goaway-ack-timeout = 1s }", print.OutputText);
        Assert.Contains("token = \"***\"", print.OutputText);
        Assert.DoesNotContain("secret", print.OutputText);
    }

    [Fact]
    public async Task Status_and_drain_wait_follow_a_real_drain_to_zero_and_exit_0()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config());
        var addresses = await gateway.WaitUntilReadyAsync();
        var admin = addresses["admin"].ToString();
        var clients = Enumerable.Range(0, 3).Select(_ => new HttpClient { Timeout = TimeSpan.FromSeconds(30) }).ToList();
        // Long enough to outlast three command starts on a loaded machine: the drain must find them in flight.
        var slow = clients.Select(c => c.GetAsync($"http://{addresses["public"]}/slow?ms=6000")).ToList();
        await Wait.UntilAsync(async () => (await RunCliAsync("status", "--admin", admin, "--json")).OutputText.Contains("\"inFlight\":3"));

        await using var status = await RunCliAsync("status", "--admin", admin);
        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"generation 1  pid \d+  ready  serving \(Serving\)", status.OutputText);
        Assert.Matches(@"public\s+127\.0\.0\.1:\d+\s+yes\s+3\s+3\s+3\s+0\s+0", status.OutputText);

        await using var drain = await RunCliAsync("drain", "--admin", admin, "--wait");
        output.WriteLine(drain.OutputText);
        Assert.Equal(0, drain.ExitCode);
        var samples = drain.Output.Where(l => l.Contains("in-flight")).ToList();
        Assert.True(samples.Count >= 2, drain.OutputText);
        Assert.Contains(samples, l => l.Contains("in-flight    3"));
        Assert.Contains("open    0  in-flight    0", samples[^1]);
        Assert.Contains("drained: every connection finished on its own", drain.OutputText);
        foreach (var response in await Task.WhenAll(slow)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(gateway.Exited.IsCompleted, "a drain from the command line leaves the process up");
        clients.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task Drain_wait_exits_1_and_says_so_when_the_deadline_forced_a_connection()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config(deadline: "2s"));
        var addresses = await gateway.WaitUntilReadyAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        var stuck = client.GetAsync($"http://{addresses["public"]}/slow?ms=600000");
        await Wait.UntilAsync(() => _upstream.Requests >= 1);

        await using var drain = await RunCliAsync("drain", "--admin", addresses["admin"].ToString(), "--wait");
        output.WriteLine(drain.OutputText);
        Assert.Equal(1, drain.ExitCode);
        Assert.Contains("drained with 1 connection(s) forced at the deadline", drain.OutputText);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => stuck);
    }

    [Fact]
    public async Task Restart_hands_over_to_a_new_generation_under_load_without_a_failed_request()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config());
        var addresses = await gateway.WaitUntilReadyAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var load = new LoadLoops(addresses["public"], loops: 4, maxRequestsPerLoop: 20_000);
        var running = load.RunAsync(stop.Token);
        var log = Path.Combine(Path.GetTempPath(), $"gateway-restart-{Guid.NewGuid():N}.log");

        await using var restart = await RunCliAsync("restart", "--config", gateway.ConfigPath!, "--admin", addresses["admin"].ToString(), "--log", log);
        await Task.Delay(300);
        stop.Cancel();
        await running;
        output.WriteLine(restart.OutputText);
        output.WriteLine(load.Summary);

        var successor = JsonDocument.Parse(await new HttpClient().GetStringAsync($"http://{addresses["admin"]}/drain")).RootElement;
        try
        {
            Assert.Equal(0, restart.ExitCode);
            Assert.Contains("generation 2 serves; generation 1 has exited", restart.OutputText);
            Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(5)));
            Assert.Equal(2, successor.GetProperty("generation").GetInt32());
            Assert.Empty(load.Failures);
            Assert.Equal([1, 2], load.Generations.ToArray());
        }
        finally
        {
            GatewayProcess.Signal(successor.GetProperty("pid").GetInt32(), GatewayProcess.SigTerm);
        }
    }

    [Fact]
    public async Task Undrain_after_drain_wait_serves_again_and_says_so()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config());
        var addresses = await gateway.WaitUntilReadyAsync();
        var admin = addresses["admin"].ToString();
        await using var nothing = await RunCliAsync("undrain", "--admin", admin);
        Assert.Equal(1, nothing.ExitCode);
        Assert.Contains("gateway: undrain refused (409): NotDraining", nothing.OutputText);

        await using var drain = await RunCliAsync("drain", "--admin", admin, "--wait");
        Assert.Equal(0, drain.ExitCode);
        Assert.True(await Raw.IsRefusedAsync(addresses["public"]));

        await using var undrain = await RunCliAsync("undrain", "--admin", admin);
        output.WriteLine(undrain.OutputText);
        Assert.Equal(0, undrain.ExitCode);
        Assert.Contains("serving again: every listener accepts connections, ready", undrain.OutputText);
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{addresses["admin"]}/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{addresses["public"]}/hello")).StatusCode);
    }

    [Fact]
    public async Task Restart_from_a_drained_gateway_says_the_truth_when_it_fails_and_hands_over_when_it_can()
    {
        // A fixed port: the drained listener's socket is closed, so the successor binds it anew at this address.
        var port = Raw.FreePort();
        await using var gateway = GatewayProcess.StartWithConfig(Config().Replace("127.0.0.1:0\" }\n  admin", $"127.0.0.1:{port}\" }}\n  admin"));
        var addresses = await gateway.WaitUntilReadyAsync();
        var admin = addresses["admin"].ToString();
        Assert.Equal(port, addresses["public"].Port);
        await using var drain = await RunCliAsync("drain", "--admin", admin, "--wait");
        Assert.Equal(0, drain.ExitCode);
        var log = Path.Combine(Path.GetTempPath(), $"gateway-restart-{Guid.NewGuid():N}.log");

        var good = await File.ReadAllTextAsync(gateway.ConfigPath!);
        await File.WriteAllTextAsync(gateway.ConfigPath!, good.Replace("path-prefix", "path-prefx"));
        await using (var broken = await RunCliAsync("restart", "--config", gateway.ConfigPath!, "--admin", admin, "--log", log))
        {
            output.WriteLine(broken.OutputText);
            Assert.Equal(2, broken.ExitCode);  // the successor's config error
            Assert.Contains("gateway: configuration error:", broken.OutputText);
            Assert.Contains("generation 1 is drained (Drained) and does not serve", broken.OutputText);
            Assert.DoesNotContain("keeps serving", broken.OutputText);
        }

        await File.WriteAllTextAsync(gateway.ConfigPath!, good);
        await using var restart = await RunCliAsync("restart", "--config", gateway.ConfigPath!, "--admin", admin, "--log", log);
        output.WriteLine(restart.OutputText);
        var successor = JsonDocument.Parse(await new HttpClient().GetStringAsync($"http://{admin}/drain")).RootElement;
        try
        {
            Assert.Equal(0, restart.ExitCode);
            Assert.Contains("generation 2 serves; generation 1 has exited", restart.OutputText);
            Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(5)));
            Assert.True(successor.GetProperty("ready").GetBoolean());
            using var client = new HttpClient();
            var response = await client.GetAsync($"http://127.0.0.1:{port}/hello");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("2", response.Headers.GetValues("Gateway-Generation").Single());
        }
        finally
        {
            GatewayProcess.Signal(successor.GetProperty("pid").GetInt32(), GatewayProcess.SigTerm);
        }
    }

    [TmuxFact]
    public async Task Drain_wait_in_a_terminal_redraws_one_progress_line()
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config());
        var addresses = await gateway.WaitUntilReadyAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var slow = client.GetAsync($"http://{addresses["public"]}/slow?ms=2500");
        await Wait.UntilAsync(() => _upstream.Requests >= 1);

        await using var terminal = await Terminal.StartAsync(
            $"dotnet {GatewayProcess.HostDll} drain --admin {addresses["admin"]} --wait; echo exit=$?; sleep 30");
        var seenLive = false;
        string screen;
        var watch = Stopwatch.StartNew();
        do
        {
            await Task.Delay(200);
            screen = await terminal.ScreenAsync();
            seenLive |= screen.Contains("in-flight    1") && !screen.Contains("drained");
        }
        while (!screen.Contains("exit=") && watch.Elapsed < TimeSpan.FromSeconds(30));
        output.WriteLine(screen);

        Assert.True(seenLive, "the progress line showed the request in flight while it ran");
        Assert.Single(screen.Split('\n'), l => l.Contains("in-flight"));
        Assert.Contains("drained: every connection finished on its own", screen);
        Assert.Contains("exit=0", screen);
        Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
    }
}
