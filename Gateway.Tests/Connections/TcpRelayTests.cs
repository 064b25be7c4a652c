using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Connections;

/// <summary>Raw TCP listeners in process: real sockets on 127.0.0.1 on every side, echo upstreams behind them.</summary>
public sealed class TcpRelayTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TcpEchoServer _a = null!;
    private TcpEchoServer _b = null!;
    private Socket _resetting = null!;
    private InProcessGateway _gateway = null!;

    public async Task InitializeAsync()
    {
        _a = TcpEchoServer.Start();
        _b = TcpEchoServer.Start();
        // An upstream that takes a connection and resets it once the first bytes arrive.
        _resetting = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _resetting.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _resetting.Listen();
        _gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.echo { address = "127.0.0.1:0", protocol = tcp }
              listeners.pair { address = "127.0.0.1:0", protocol = tcp }
              listeners.dead { address = "127.0.0.1:0", protocol = tcp }
              listeners.reset { address = "127.0.0.1:0", protocol = tcp }
              admin.address = "127.0.0.1:0"
              upstreams.echo { endpoints = ["{{_a.Endpoint}}"] }
              upstreams.pair { endpoints = ["{{_a.Endpoint}}", "{{_b.Endpoint}}"] }
              upstreams.dead { endpoints = ["127.0.0.1:{{Ports.Closed()}}"], connect-timeout = 2s }
              upstreams.reset { endpoints = ["{{_resetting.LocalEndPoint}}"] }
              routes.echo { listener = echo, upstream = echo }
              routes.pair { listener = pair, upstream = pair }
              routes.dead { listener = dead, upstream = dead }
              routes.reset { listener = reset, upstream = reset }
              drain.deadline = 10s
            }
            """);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _resetting.Dispose();
    }

    private IPEndPoint Listener(string name) => _gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == name).Address;

    [Fact]
    public async Task Bytes_round_trip_both_ways_one_exchange_after_another()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Listener("echo"), timeout.Token);
        var buffer = new byte[256];
        for (var i = 0; i < 5; i++)
        {
            var message = Encoding.ASCII.GetBytes($"ping {i}");
            await socket.SendAsync(message, SocketFlags.None, timeout.Token);
            var read = 0;
            while (read < message.Length)
                read += await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            Assert.Equal($"ping {i}", Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    [Fact]
    public async Task A_100_MB_transfer_arrives_intact_both_ways()
    {
        const long size = 100L * 1024 * 1024;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var transfer = await TcpTransfer.ConnectAsync(Listener("echo"));
        var clock = Stopwatch.StartNew();

        var receiving = transfer.ReceiveToEndAsync(timeout.Token);
        await transfer.SendAsync(size, 64 * 1024, TimeSpan.Zero, timeout.Token);
        Assert.True(await receiving, "the echo ends with a FIN");

        output.WriteLine($"100 MiB echoed through the tcp listener in {clock.Elapsed.TotalSeconds:0.00}s ({2 * size / 1048576.0 / clock.Elapsed.TotalSeconds:0} MiB/s both ways)");
        Assert.Equal(size, transfer.Received);
        Assert.Equal(transfer.SentSha256, transfer.ReceivedSha256);
    }

    [Fact]
    public async Task Half_close_the_client_stops_sending_and_still_reads_the_echo_to_the_end()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var transfer = await TcpTransfer.ConnectAsync(Listener("echo"));

        // Everything is sent and the send side shut down before the first byte is read.
        await transfer.SendAsync(48 * 1024, 4096, TimeSpan.Zero, timeout.Token, finish: true);
        Assert.True(await transfer.ReceiveToEndAsync(timeout.Token), "the upstream's FIN reaches the client after the echo");

        Assert.Equal(48 * 1024, transfer.Received);
        Assert.Equal(transfer.SentSha256, transfer.ReceivedSha256);
    }

    [Fact]
    public async Task Connections_go_round_robin_over_the_upstream_endpoints()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var (a0, b0) = (_a.Accepted, _b.Accepted);
        for (var i = 0; i < 4; i++)
        {
            using var transfer = await TcpTransfer.ConnectAsync(Listener("pair"));
            await transfer.SendAsync(10, 10, TimeSpan.Zero, timeout.Token);
            Assert.True(await transfer.ReceiveToEndAsync(timeout.Token));
            Assert.Equal(10, transfer.Received);
        }
        Assert.Equal((2, 2), (_a.Accepted - a0, _b.Accepted - b0));
    }

    [Fact]
    public async Task An_unreachable_upstream_closes_the_client_connection()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var transfer = await TcpTransfer.ConnectAsync(Listener("dead"));
        await transfer.ReceiveToEndAsync(timeout.Token);
        Assert.Equal(0, transfer.Received);
        await Wait.UntilAsync(() => _gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "dead").Counters.OpenConnections == 0, timeout.Token);
    }

    [Fact]
    public async Task A_tcp_listener_has_a_listener_actor_and_each_connection_an_actor_of_its_own()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var transfer = await TcpTransfer.ConnectAsync(Listener("echo"));
        await transfer.SendAsync(1, 1, TimeSpan.Zero, timeout.Token, finish: false);
        using var admin = new HttpClient { BaseAddress = _gateway.Admin };
        await Wait.UntilAsync(async () => (await admin.GetStringAsync("/tree", timeout.Token)).Contains("conn-tcp-"), timeout.Token);
        var listener = _gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "echo");
        Assert.Equal(1, listener.Counters.OpenConnections);
    }

    [Fact]
    public async Task An_upstream_reset_in_one_direction_ends_the_other_and_closes_the_client_connection()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(Listener("reset"), timeout.Token);
        using var upstream = await _resetting.AcceptAsync(timeout.Token);
        await client.SendAsync(Encoding.ASCII.GetBytes("hello"), SocketFlags.None, timeout.Token);
        var buffer = new byte[16];
        Assert.Equal(5, await upstream.ReceiveAsync(buffer, SocketFlags.None, timeout.Token));
        upstream.LingerState = new LingerOption(true, 0);
        upstream.Close(); // RST: the upstream-to-client direction fails; the client, still sending nothing, must not be left open

        int read;
        try
        {
            read = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        }
        catch (SocketException)
        {
            read = 0;
        }
        Assert.Equal(0, read);
        await Wait.UntilAsync(() => _gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "reset").Counters.OpenConnections == 0, timeout.Token);
    }
}
