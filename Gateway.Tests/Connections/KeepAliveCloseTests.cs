using System.Net;
using System.Text.Json;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Connections;

/// <summary>
/// The gateway closes a keep-alive HTTP/1.1 connection only after telling its client: on the last response
/// (<c>Connection: close</c>), never right after a response that did not say so. The hard case is a response that had
/// already started (its head was sent) when the drain came: it cannot say it any more, so the next one does.
/// </summary>
public sealed class KeepAliveCloseTests : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    // A long idle-quiet: the connection is never closed idle while the test holds it, so only the rule is seen.
    private string Config() => _upstream.GatewayConfig("announce = 0s, deadline = 20s, idle-quiet = 10s");

    [Fact]
    public async Task A_response_already_started_when_the_drain_comes_is_followed_by_one_that_says_close_never_by_a_silent_close()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var admin = new HttpClient { BaseAddress = gateway.Admin, Timeout = TimeSpan.FromSeconds(20) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var connection = await RawHttp1Connection.OpenAsync(IPEndPoint.Parse(gateway.Listener().Authority));
        Assert.DoesNotContain("Connection: close", (await connection.GetAsync("/idle", timeout.Token)).Head);

        await connection.SendGetAsync("/held", timeout.Token);
        await connection.ReadUntilAsync("held-start|", timeout.Token); // its head is out: it can no longer say close
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain", null, timeout.Token)).StatusCode);
        await Wait.UntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/drain", timeout.Token))
            .RootElement.GetProperty("phase").GetString() == "Draining", timeout.Token);
        _upstream.HeldRelease.SetResult();

        var (heldHead, heldBody) = await connection.ReadResponseAsync(timeout.Token);
        Assert.Equal("held-start|held-end", heldBody);
        Assert.DoesNotContain("Connection: close", heldHead);
        // The connection was not closed under the client: its next request is answered, and that answer says close.
        var (head, body) = await connection.GetAsync("/idle", timeout.Token);
        Assert.Equal("idle", body);
        Assert.Contains("Connection: close", head);
        Assert.Equal(PeerClose.Fin, await connection.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_connection_that_goes_quiet_after_a_response_the_drain_could_not_mark_is_closed_idle_once_quiet()
    {
        await using var gateway = await InProcessGateway.StartAsync(_upstream.GatewayConfig("announce = 0s, deadline = 20s, idle-quiet = 300ms"));
        using var admin = new HttpClient { BaseAddress = gateway.Admin, Timeout = TimeSpan.FromSeconds(20) };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var connection = await RawHttp1Connection.OpenAsync(IPEndPoint.Parse(gateway.Listener().Authority));

        await connection.SendGetAsync("/held", timeout.Token);
        await connection.ReadUntilAsync("held-start|", timeout.Token);
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain", null, timeout.Token)).StatusCode);
        await Wait.UntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/drain", timeout.Token))
            .RootElement.GetProperty("phase").GetString() == "Draining", timeout.Token);
        _upstream.HeldRelease.SetResult();
        var answered = DateTime.UtcNow;
        Assert.Equal("held-start|held-end", (await connection.ReadResponseAsync(timeout.Token)).Body);

        // Nothing more is sent: the drain closes the connection (FIN) once it has been quiet, and the drain ends.
        Assert.Equal(PeerClose.Fin, await connection.WaitForCloseAsync(TimeSpan.FromSeconds(10)));
        Assert.True(DateTime.UtcNow - answered >= TimeSpan.FromMilliseconds(250), "closed before it had been quiet");
        await Wait.UntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/drain", timeout.Token))
            .RootElement.GetProperty("state").GetString() == "drained", timeout.Token);
    }
}
