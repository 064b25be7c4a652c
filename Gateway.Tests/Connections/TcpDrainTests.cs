using System.Net;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Connections;

/// <summary>The drain of raw TCP connections in process: they cannot be told to leave, so they run, go idle, or are forced.</summary>
public sealed class TcpDrainTests : IAsyncLifetime
{
    private TcpEchoServer _echo = null!;

    public Task InitializeAsync()
    {
        _echo = TcpEchoServer.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _echo.DisposeAsync();

    private Task<InProcessGateway> StartAsync(string listenerExtra, string drain) => InProcessGateway.StartAsync($$"""
        gateway {
          listeners.db { address = "127.0.0.1:0", protocol = tcp{{listenerExtra}} }
          admin.address = "127.0.0.1:0"
          upstreams.pg { endpoints = ["{{_echo.Endpoint}}"] }
          routes.db { listener = db, upstream = pg }
          drain { {{drain}} }
        }
        """);

    private static IPEndPoint Db(InProcessGateway gateway) => gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "db").Address;

    [Fact]
    public async Task During_a_drain_an_idle_tcp_connection_is_closed_after_the_idle_timeout_and_a_busy_one_finishes()
    {
        // The busy connection pauses 40 ms between sends: the idle timeout stays far above that on a loaded machine.
        await using var gateway = await StartAsync(", idle-timeout = 1500ms", "announce = 0s, deadline = 30s");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        using var idle = await TcpTransfer.ConnectAsync(Db(gateway));
        await idle.SendAsync(16, 16, TimeSpan.Zero, timeout.Token, finish: false);
        var idleEnded = idle.ReceiveToEndAsync(timeout.Token);
        using var busy = await TcpTransfer.ConnectAsync(Db(gateway));
        var busyEnded = busy.ReceiveToEndAsync(timeout.Token);
        var busySending = busy.SendAsync(32 * 1024, 1024, TimeSpan.FromMilliseconds(40), timeout.Token);
        await Wait.UntilAsync(() => idle.Received == 16 && busy.Received > 0, timeout.Token);

        // The host's stop runs the drain; it returns when the drain is over, long before the 30s deadline here.
        await gateway.StopAsync().WaitAsync(timeout.Token);

        Assert.True(await idleEnded, "the idle connection is closed with a FIN");
        await busySending;
        Assert.True(await busyEnded);
        Assert.Equal(busy.SentSha256, busy.ReceivedSha256);
        Assert.Equal(32 * 1024, busy.Received);
        Assert.Equal(0, gateway.Gateway.Runtime.Listeners.All.Single().Counters.ForcedConnections);
        Assert.Equal("Completed", gateway.Gateway.Runtime.State.Result?.Outcome.ToString());
    }

    [Fact]
    public async Task An_admin_drain_forces_a_tcp_connection_at_the_deadline_and_counts_it_in_the_drain_report()
    {
        await using var gateway = await StartAsync("", "announce = 0s, deadline = 2s");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        using var admin = new HttpClient { BaseAddress = gateway.Admin, Timeout = TimeSpan.FromSeconds(10) };
        using var endless = await TcpTransfer.ConnectAsync(Db(gateway));
        var ended = endless.ReceiveToEndAsync(timeout.Token);
        using var stopSending = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        // Bounded: 4096 chunks at one per 20ms outlast the 2s deadline; the token bounds it in time.
        var sending = endless.SendAsync(4096 * 1024, 1024, TimeSpan.FromMilliseconds(20), stopSending.Token, finish: false);
        await Wait.UntilAsync(() => endless.Received > 0, timeout.Token);

        (await admin.PostAsync("/drain", null, timeout.Token)).EnsureSuccessStatusCode();
        await Wait.UntilAsync(() => Raw.IsRefusedAsync(Db(gateway)), timeout.Token);

        Assert.True(await ended.WaitAsync(timeout.Token), "closed at the deadline with a FIN, not a reset");
        await stopSending.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => sending);
        await Wait.UntilAsync(async () => (await admin.GetStringAsync("/drain", timeout.Token)).Contains("\"forced\":1"), timeout.Token);
        var report = await admin.GetStringAsync("/drain", timeout.Token);
        Assert.Contains("\"protocol\":\"tcp\"", report);
        Assert.Equal("DeadlineExceeded", gateway.Gateway.Runtime.State.Result?.Outcome.ToString());
    }
}
