using System.Net;
using Gateway.Configuration;
using Gateway.Hosting;
using Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Gateway.Tests.Hosting;

/// <summary>Reloads that add, keep and remove tcp listeners, in process on real sockets.</summary>
public sealed class TcpReloadTests : IAsyncLifetime
{
    private TcpEchoServer _echo = null!;
    private InProcessGateway _gateway = null!;

    private const string Web = """
        gateway {
          listeners.web { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          routes.web { listener = web, direct-response { status = 200, body = "web" } }
          drain.deadline = 10s
        }

        """;

    private string WithDb(string protocol = "tcp") => Web + $$"""
        gateway.listeners.db { address = "127.0.0.1:0", protocol = {{protocol}} }
        gateway.upstreams.pg.endpoints = ["{{_echo.Endpoint}}"]
        gateway.routes.db { listener = db, upstream = pg }
        """;

    public async Task InitializeAsync()
    {
        _echo = TcpEchoServer.Start();
        _gateway = await InProcessGateway.StartAsync(Web);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _echo.DisposeAsync();
    }

    private GatewayReloader Reloader => _gateway.Gateway.App.Services.GetRequiredService<GatewayReloader>();

    private IPEndPoint Db => _gateway.Gateway.Runtime.Listeners.All.Single(l => l.Name == "db").Address;

    private static async Task<long> EchoAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var transfer = await TcpTransfer.ConnectAsync(endpoint);
        var ended = transfer.ReceiveToEndAsync(cancellationToken);
        await transfer.SendAsync(1000, 100, TimeSpan.Zero, cancellationToken);
        Assert.True(await ended);
        Assert.Equal(transfer.SentSha256, transfer.ReceivedSha256);
        return transfer.Received;
    }

    [Fact]
    public async Task A_reload_adds_a_tcp_listener_refuses_to_change_its_protocol_and_drains_it_when_removed()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var added = await Reloader.ApplyAsync(GatewayConfigLoader.Parse(WithDb(), "reload.conf"));
        Assert.Contains(added.AddedListeners, l => l.StartsWith("db"));
        Assert.Equal(1000, await EchoAsync(Db, timeout.Token));

        var rejected = await Assert.ThrowsAsync<GatewayConfigException>(() => Reloader.ApplyAsync(GatewayConfigLoader.Parse(WithDb("http"), "reload.conf")));
        Assert.Equal("gateway.listeners.db.protocol", rejected.Key);
        Assert.Contains("cannot turn listener db from tcp into http", rejected.Problem);
        Assert.Equal(1000, await EchoAsync(Db, timeout.Token));

        var db = Db;
        using var open = await TcpTransfer.ConnectAsync(db);
        var openEnded = open.ReceiveToEndAsync(timeout.Token);
        await open.SendAsync(10, 10, TimeSpan.Zero, timeout.Token, finish: false);
        await Wait.UntilAsync(() => open.Received == 10, timeout.Token);
        var removed = await Reloader.ApplyAsync(GatewayConfigLoader.Parse(Web, "reload.conf"));
        Assert.Equal(["db"], removed.RemovedListeners);
        await Wait.UntilAsync(() => Raw.IsRefusedAsync(db), timeout.Token);

        // The connection open at the reload runs on: it ends when its client ends it.
        await open.SendAsync(20, 10, TimeSpan.Zero, timeout.Token);
        Assert.True(await openEnded);
        Assert.Equal(20, open.Received);
    }
}
