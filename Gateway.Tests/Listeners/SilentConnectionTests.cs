using System.Net.Sockets;
using System.Text.RegularExpressions;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Listeners;

/// <summary>
/// A connection that sends nothing (a browser's preconnect) never holds the drain's timeline: the unbind is over at
/// the end of the announce, and the silent connection is closed before a byte was read (safe to retry).
/// </summary>
public sealed class SilentConnectionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task A_connection_that_never_sends_does_not_move_the_unbind_past_the_announce()
    {
        await using var gateway = GatewayProcess.StartWithConfig(_upstream.GatewayConfig("announce = 1s, deadline = 10s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var preconnect = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await preconnect.ConnectAsync(endpoint);
        // Silent for longer than the grace a connection gets to send its first bytes.
        await Task.Delay(Gateway.Listeners.ListenerUnbind.FirstBytesGrace + TimeSpan.FromMilliseconds(300));

        gateway.Signal(GatewayProcess.SigTerm);
        Assert.Equal(PeerClose.Fin, await Raw.WaitForCloseAsync(preconnect, TimeSpan.FromSeconds(10)));
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));

        // The listeners stopped accepting at the end of the announce, not a grace later: the unbind itself is short.
        var unbind = await gateway.WaitForLineAsync(@"Drain phase unbind done in (\d+)ms", TimeSpan.FromSeconds(1));
        var unbindMs = int.Parse(unbind.Groups[1].Value);
        output.WriteLine($"unbind took {unbindMs} ms with a silent connection open");
        Assert.True(unbindMs < Gateway.Listeners.ListenerUnbind.FirstBytesGrace.TotalMilliseconds,
            $"the unbind waited {unbindMs} ms for a connection that sent nothing\n{gateway.OutputText}");
        Assert.Matches(new Regex(@"Drain finished: Completed \(completed=0 forced=0 crashed=0\)"), gateway.OutputText);
    }
}
