using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Host;

/// <summary>The built Gateway.Host with a tcp listener, stopped by SIGTERM while raw TCP transfers are under way.</summary>
public sealed class TcpSigtermDrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TcpEchoServer _echo = null!;

    public Task InitializeAsync()
    {
        _echo = TcpEchoServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _echo.DisposeAsync();

    [Fact]
    public async Task Sigterm_lets_a_tcp_transfer_that_ends_in_time_finish_intact_and_closes_the_other_at_the_deadline()
    {
        await using var gateway = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.db { address = "127.0.0.1:0", protocol = tcp }
              admin.address = "127.0.0.1:0"
              upstreams.pg { endpoints = ["{{_echo.Endpoint}}"] }
              routes.db { listener = db, upstream = pg }
              drain { announce = 0s, deadline = 5s }
            }
            """);
        var db = (await gateway.WaitUntilReadyAsync())["db"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        // 2 MiB at 64 KiB per 60ms: about 2s, well inside the 5s deadline.
        using var finishing = await TcpTransfer.ConnectAsync(db);
        var finishingEnded = finishing.ReceiveToEndAsync(timeout.Token);
        var finishingSent = finishing.SendAsync(2 * 1024 * 1024, 64 * 1024, TimeSpan.FromMilliseconds(60), timeout.Token);
        // 1 KiB per 20ms for up to 4096 chunks: far beyond the deadline.
        using var endless = await TcpTransfer.ConnectAsync(db);
        var endlessEnded = endless.ReceiveToEndAsync(timeout.Token);
        using var stopEndless = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var endlessSent = endless.SendAsync(4096 * 1024, 1024, TimeSpan.FromMilliseconds(20), stopEndless.Token, finish: false);
        await Wait.UntilAsync(() => finishing.Received > 0 && endless.Received > 0, timeout.Token);

        gateway.Signal(GatewayProcess.SigTerm);
        await gateway.WaitForLineAsync("listeners accept no new connections", TimeSpan.FromSeconds(10));
        Assert.True(await Raw.IsRefusedAsync(db), "a new connection after the unbind must be refused");

        await finishingSent;
        Assert.True(await finishingEnded, "the finished transfer ends with the upstream's FIN");
        Assert.Equal(2 * 1024 * 1024, finishing.Received);
        Assert.Equal(finishing.SentSha256, finishing.ReceivedSha256);

        Assert.True(await endlessEnded, "the transfer still running at the deadline is closed with a FIN");
        await stopEndless.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => endlessSent);
        Assert.True(endless.Sent < 4096 * 1024, "it was cut short");

        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        output.WriteLine($"endless transfer: {endless.Sent} bytes sent, {endless.Received} echoed before the deadline");
        await gateway.WaitForLineAsync(@"Drain deadline: forcing connection tcp-\d+ from 127\.0\.0\.1:\d+ on listener db", TimeSpan.FromSeconds(1));
        // The forced connection's FIN is sent as the summary is written: it may still count as open in that line.
        await gateway.WaitForLineAsync(@"Listener db drain summary: 2 connection\(s\) accepted in its life, 1 forced, [01] still open", TimeSpan.FromSeconds(1));
        await gateway.WaitForLineAsync(@"Drain finished: DeadlineExceeded \(completed=1 forced=1 crashed=0\)", TimeSpan.FromSeconds(1));
    }
}
