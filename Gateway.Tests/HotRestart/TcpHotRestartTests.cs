using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.HotRestart;

/// <summary>A hot restart hands a tcp listener's socket to the successor like an HTTP listener's.</summary>
public sealed class TcpHotRestartTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TcpEchoServer _echo = null!;
    private readonly List<GatewayProcess> _processes = [];

    public Task InitializeAsync()
    {
        _echo = TcpEchoServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
        await _echo.DisposeAsync();
    }

    private GatewayProcess Track(GatewayProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private static async Task EchoAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var transfer = await TcpTransfer.ConnectAsync(endpoint);
        var ended = transfer.ReceiveToEndAsync(cancellationToken);
        await transfer.SendAsync(100, 100, TimeSpan.Zero, cancellationToken);
        Assert.True(await ended);
        Assert.Equal(100, transfer.Received);
    }

    [Fact]
    public async Task The_successor_accepts_on_the_same_tcp_socket_without_a_refused_connection_and_the_old_one_finishes_its_transfer()
    {
        var first = Track(GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.db { address = "127.0.0.1:0", protocol = tcp }
              admin.address = "127.0.0.1:0"
              upstreams.pg { endpoints = ["{{_echo.Endpoint}}"] }
              routes.db { listener = db, upstream = pg }
              drain { deadline = 20s }
            }
            """));
        var db = (await first.WaitUntilReadyAsync())["db"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        using var open = await TcpTransfer.ConnectAsync(db);
        var openEnded = open.ReceiveToEndAsync(timeout.Token);
        await open.SendAsync(10, 10, TimeSpan.Zero, timeout.Token, finish: false);
        await Wait.UntilAsync(() => open.Received == 10, timeout.Token);

        // Connections one after another across the handoff: bounded in count (500) and time (the token).
        using var stopLoop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var connections = 0;
        var loop = Task.Run(async () =>
        {
            for (; connections < 500 && !stopLoop.IsCancellationRequested; connections++)
                await EchoAsync(db, timeout.Token);
        }, CancellationToken.None);

        var second = Track(GatewayProcess.StartWithConfigFile(first.ConfigPath!, "--hot-restart"));
        await second.WaitForLineAsync(@"Hot restart: generation 2 serves \[db, @admin\]; the previous generation drains", TimeSpan.FromSeconds(30));
        Assert.Equal(db, (await second.WaitUntilReadyAsync())["db"]);
        await second.WaitForLineAsync("Listener db listening on tcp://.* \\(socket taken over\\)", TimeSpan.FromSeconds(1));
        await Task.Delay(500, timeout.Token);
        await stopLoop.CancelAsync();
        await loop;
        output.WriteLine($"{connections} echo connections across the hot restart, none refused");

        // The old generation still relays the connection it accepted, until its client ends it.
        await open.SendAsync(20, 10, TimeSpan.Zero, timeout.Token);
        Assert.True(await openEnded);
        Assert.Equal(20, open.Received);
        Assert.Equal(0, await first.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        await first.WaitForLineAsync(@"Drain finished: Completed \(completed=\d+ forced=0", TimeSpan.FromSeconds(1));
        await EchoAsync(db, timeout.Token);
    }
}
