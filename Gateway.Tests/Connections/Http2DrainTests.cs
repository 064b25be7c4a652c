using System.Collections.Concurrent;
using System.Net.Sockets;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Connections;

/// <summary>
/// An HTTP/2 client that keeps opening streams while the drain starts: every stream the server accepted (at or below
/// GOAWAY's last stream id) is answered in full; the ones it did not are never half-processed and are retryable.
/// </summary>
public sealed class Http2DrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Streams_sent_continuously_through_the_drain_are_answered_or_left_retryable_above_goaway()
    {
        await using var gateway = GatewayProcess.StartWithConfig(_upstream.GatewayConfig("announce = 0s, deadline = 10s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var connection = await RawHttp2Connection.OpenAsync(endpoint, timeout.Token);

        var completed = new ConcurrentDictionary<int, bool>();
        var resets = new ConcurrentDictionary<int, int>();
        var goAways = new ConcurrentQueue<int>();
        var sent = new ConcurrentQueue<int>();
        var reader = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var (type, flags, stream, payload) = await connection.NextFrameAsync(timeout.Token);
                    if (type == 0x7) goAways.Enqueue(((payload[0] & 0x7F) << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3]);
                    else if (type == 0x3) resets[stream] = (payload[0] << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3];
                    else if (type is 0x0 or 0x1 && (flags & 0x1) != 0) completed[stream] = true;
                }
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                // The server closed the connection after its last stream.
            }
        });

        // Bounded: at most 4000 streams, at most 16 unanswered at a time, until a little after the first GOAWAY.
        var signalled = false;
        var afterGoAway = 0;
        for (var stream = 1; stream < 8000 && afterGoAway < 20; stream += 2)
        {
            while (sent.Count - completed.Count - resets.Count >= 16 && !reader.IsCompleted) await Task.Delay(1, timeout.Token);
            if (reader.IsCompleted) break;
            try
            {
                await connection.SendGetAsync(stream, "/idle", timeout.Token);
            }
            catch (SocketException)
            {
                break;
            }
            sent.Enqueue(stream);
            if (!signalled && completed.Count >= 200)
            {
                gateway.Signal(GatewayProcess.SigTerm);
                signalled = true;
            }
            if (!goAways.IsEmpty) afterGoAway++;
            await Task.Delay(1, timeout.Token);
        }
        await reader.WaitAsync(timeout.Token);
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));

        var lastAccepted = goAways.Min();
        var accepted = sent.Where(s => s <= lastAccepted).ToList();
        var refused = sent.Where(s => s > lastAccepted).ToList();
        output.WriteLine($"{sent.Count} streams sent; GOAWAY last ids [{string.Join(", ", goAways)}]; {accepted.Count} at or below: " +
                         $"{accepted.Count(completed.ContainsKey)} answered; {refused.Count} above: {refused.Count(completed.ContainsKey)} answered, " +
                         $"resets {string.Join(", ", resets.GroupBy(r => r.Value).Select(g => $"code {g.Key}×{g.Count()}"))}");
        Assert.True(accepted.Count > 200, "the drain must start while streams are being answered");
        Assert.All(accepted, s => Assert.True(completed.ContainsKey(s), $"stream {s} was accepted (≤ {lastAccepted}) but not answered"));
        Assert.All(refused, s => Assert.False(completed.ContainsKey(s), $"stream {s} above GOAWAY's last id {lastAccepted} was processed"));
        Assert.All(resets, r => Assert.Equal(0x7, r.Value)); // only REFUSED_STREAM: never processed, retryable
    }
}
