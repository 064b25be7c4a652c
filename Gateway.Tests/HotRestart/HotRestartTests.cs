using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.HotRestart;

/// <summary>Hot restarts between real processes: the new one takes the sockets, the old one drains what it accepted.</summary>
public sealed class HotRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;
    private readonly List<GatewayProcess> _processes = [];

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private string Config(string extra = "") => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_upstream.Endpoint}}"], response-timeout = 60s }
          routes.app    { listener = public, path-prefix = "/", upstream = app }
          drain { deadline = 20s }
          {{extra}}
        }
        """;

    private async Task<(GatewayProcess Process, IPEndPoint Endpoint)> StartFirstAsync(string config)
    {
        var first = Track(GatewayProcess.StartWithConfig(config));
        return (first, (await first.WaitUntilReadyAsync())["public"]);
    }

    private GatewayProcess Track(GatewayProcess process)
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>Starts the successor and waits until it serves; the predecessor then drains.</summary>
    private async Task<GatewayProcess> HotRestartAsync(GatewayProcess current)
    {
        var next = Track(GatewayProcess.StartWithConfigFile(current.ConfigPath!, "--hot-restart"));
        await next.WaitForLineAsync(@"Hot restart: generation \d+ serves \[public, @admin\]; the previous generation drains", TimeSpan.FromSeconds(30));
        await next.WaitUntilReadyAsync();
        return next;
    }

    [Fact]
    public async Task Five_hot_restarts_under_load_fail_no_request_and_every_old_generation_exits_0()
    {
        var (current, endpoint) = await StartFirstAsync(Config());
        var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var load = new LoadLoops(endpoint, loops: 16, maxRequestsPerLoop: 20_000);
        var running = load.RunAsync(stop.Token);

        var old = new List<GatewayProcess>();
        for (var restart = 0; restart < 5; restart++)
        {
            await Task.Delay(700);
            var next = await HotRestartAsync(current);
            old.Add(current);
            current = next;
        }
        foreach (var process in old)
            Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await Task.Delay(500);
        stop.Cancel();
        await running;

        output.WriteLine(load.Summary);
        Assert.True(load.Succeeded > 500, load.Summary);
        Assert.Empty(load.Failures);
        Assert.True(load.Generations.Count > 1, load.Summary);
        Assert.Contains(6, load.Generations);
    }

    [Fact]
    public async Task A_keep_alive_connection_whose_response_is_under_way_at_the_handoff_is_closed_only_after_one_that_says_close()
    {
        // A long idle-quiet: the old generation never closes the connection idle while the test holds it.
        var (first, endpoint) = await StartFirstAsync(Config().Replace("drain { deadline = 20s }", "drain { deadline = 20s, idle-quiet = 10s }"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var connection = await RawHttp1Connection.OpenAsync(endpoint);
        await connection.SendGetAsync("/held", timeout.Token);
        await connection.ReadUntilAsync("held-start|", timeout.Token); // its head is out: it can no longer say close

        await HotRestartAsync(first);
        await first.WaitForLineAsync("listeners accept no new connections", TimeSpan.FromSeconds(10));
        _upstream.HeldRelease.SetResult();

        var (heldHead, heldBody) = await connection.ReadResponseAsync(timeout.Token);
        Assert.Equal("held-start|held-end", heldBody);
        Assert.Contains("Gateway-Generation: 1", heldHead);
        Assert.DoesNotContain("Connection: close", heldHead);
        // The old generation did not close under the client: the next request is answered there, saying close.
        var (head, _) = await connection.GetAsync("/held", timeout.Token); // released: answered at once
        Assert.Contains("Connection: close", head);
        Assert.Contains("Gateway-Generation: 1", head);
        Assert.Equal(PeerClose.Fin, await connection.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Streams_and_slow_requests_opened_before_a_hot_restart_finish_on_the_old_generation()
    {
        var (first, endpoint) = await StartFirstAsync(Config());
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var sse = await client.GetAsync($"http://{endpoint}/sse", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var events = new StreamReader(await sse.Content.ReadAsStreamAsync(timeout.Token));
        Assert.Equal("data: first", await events.ReadLineAsync(timeout.Token));
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{endpoint}/ws"), timeout.Token);
        var slow = client.GetAsync($"http://{endpoint}/slow?ms=2500", timeout.Token);

        var second = await HotRestartAsync(first);
        await first.WaitForLineAsync("Drain started", TimeSpan.FromSeconds(10));

        // The old generation keeps its streams: the WebSocket still echoes, the SSE stream still delivers.
        await socket.SendAsync(Encoding.UTF8.GetBytes("after restart"), WebSocketMessageType.Text, true, timeout.Token);
        var buffer = new byte[256];
        var echo = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal("echo: after restart", Encoding.UTF8.GetString(buffer, 0, echo.Count));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        _upstream.SecondEvent.SetResult();
        Assert.Equal("", await events.ReadLineAsync(timeout.Token));
        Assert.Equal("data: second", await events.ReadLineAsync(timeout.Token));
        Assert.Equal("1", sse.Headers.GetValues("Gateway-Generation").Single());

        var slowResponse = await slow;
        Assert.Equal(HttpStatusCode.OK, slowResponse.StatusCode);
        Assert.Equal("1", slowResponse.Headers.GetValues("Gateway-Generation").Single());

        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        using var fresh = new HttpClient();
        var after = await fresh.GetAsync($"http://{endpoint}/hello", timeout.Token);
        Assert.Equal("2", after.Headers.GetValues("Gateway-Generation").Single());
        Assert.False(second.Exited.IsCompleted);
    }

    [Fact]
    public async Task A_successor_with_a_broken_config_exits_2_and_the_running_gateway_keeps_serving()
    {
        var (first, endpoint) = await StartFirstAsync(Config());
        var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var load = new LoadLoops(endpoint, loops: 4, maxRequestsPerLoop: 20_000);
        var running = load.RunAsync(stop.Token);

        var good = await File.ReadAllTextAsync(first.ConfigPath!);
        await File.WriteAllTextAsync(first.ConfigPath!, good.Replace("path-prefix", "path-prefx"));
        var broken = Track(GatewayProcess.StartWithConfigFile(first.ConfigPath!, "--hot-restart"));
        Assert.Equal(2, await broken.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("gateway.routes.app.path-prefx: unknown key; did you mean `path-prefix`?", broken.OutputText);

        // A successor that dies after it received the sockets (here: a new listener's port is taken) changes nothing.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var extraListener = $"listeners.extra {{ address = \"{taken.LocalEndpoint}\" }}\n  routes.app";
        await File.WriteAllTextAsync(first.ConfigPath!, good.Replace("routes.app", extraListener));
        var crashing = Track(GatewayProcess.StartWithConfigFile(first.ConfigPath!, "--hot-restart"));
        Assert.Equal(2, await crashing.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("gateway.listeners.extra.address: the address is already in use", crashing.OutputText);
        await first.WaitForLineAsync("Hot restart aborted", TimeSpan.FromSeconds(10));

        await Task.Delay(500);
        stop.Cancel();
        await running;
        output.WriteLine(load.Summary);
        Assert.Empty(load.Failures);
        Assert.Equal([1], load.Generations.ToArray());
        Assert.False(first.Exited.IsCompleted);
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{endpoint}/hello")).StatusCode);
    }
}
