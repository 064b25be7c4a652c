using System.Collections.Concurrent;
using System.Net.Sockets;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Connections;

/// <summary>
/// An HTTP/2 client that keeps opening streams while the drain starts: the server says GOAWAY(2^31−1) first, never
/// skips it, and every stream at or below the final GOAWAY's last stream id is answered in full; the ones above it are
/// never half-processed and are retryable. Meanwhile h2load loads other connections to the upstream through the same
/// SIGTERM: every request that reached the upstream is answered. The
/// final GOAWAY follows the client's ACK of the PING sent with the first, however slow the client is (bounded).
/// </summary>
public sealed class Http2DrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Streams_sent_continuously_through_the_drain_are_answered_or_left_retryable_above_the_final_goaway()
    {
        Assert.True(File.Exists("/usr/bin/h2load"), "the test needs h2load: apt-get install nghttp2-client");
        await using var gateway = GatewayProcess.StartWithConfig(_upstream.GatewayConfig("announce = 0s, deadline = 10s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var connection = await RawHttp2Connection.OpenAsync(endpoint, timeout.Token);
        var h2load = StartH2Load(endpoint);

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
        var load = await h2load.StandardOutput.ReadToEndAsync(timeout.Token);
        await h2load.WaitForExitAsync(timeout.Token);
        output.WriteLine(load);

        // Two phases, never one: first "finish what you sent" (2^31−1), then the last stream the server took.
        Assert.True(goAways.Count >= 2, $"GOAWAY last ids [{string.Join(", ", goAways)}]");
        Assert.Equal(int.MaxValue, goAways.First());
        var lastAccepted = goAways.Last();
        var accepted = sent.Where(s => s <= lastAccepted).ToList();
        var refused = sent.Where(s => s > lastAccepted).ToList();
        output.WriteLine($"{sent.Count} streams sent; GOAWAY last ids [{string.Join(", ", goAways)}]; {accepted.Count} at or below: " +
                         $"{accepted.Count(completed.ContainsKey)} answered; {refused.Count} above: {refused.Count(completed.ContainsKey)} answered, " +
                         $"resets {string.Join(", ", resets.GroupBy(r => r.Value).Select(g => $"code {g.Key}×{g.Count()}"))}");
        Assert.True(accepted.Count > 200, "the drain must start while streams are being answered");
        Assert.All(accepted, s => Assert.True(completed.ContainsKey(s), $"stream {s} was accepted (≤ {lastAccepted}) but not answered"));
        Assert.All(refused, s => Assert.False(completed.ContainsKey(s), $"stream {s} above GOAWAY's last id {lastAccepted} was processed"));
        Assert.All(resets, r => Assert.Equal(0x7, r.Value)); // only REFUSED_STREAM: never processed, retryable
        // h2load's streams through the same drain, to the upstream: every request that reached it was answered in full.
        // A stream h2load counts as failed is one the gateway never forwarded — refused above the final GOAWAY, or one
        // h2load itself no longer started on a connection told to go away (which one, timing decides).
        var requests = System.Text.RegularExpressions.Regex.Match(load, @"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored");
        var statuses = System.Text.RegularExpressions.Regex.Match(load, @"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx");
        Assert.True(requests.Success && statuses.Success, load);
        var succeeded = int.Parse(requests.Groups[4].Value);
        Assert.True(succeeded > 100, load);
        Assert.Equal(succeeded, int.Parse(statuses.Groups[1].Value));
        Assert.Equal("0", statuses.Groups[4].Value);
        Assert.Equal("0", statuses.Groups[3].Value);
        Assert.Equal(succeeded, _upstream.Requests);
        Assert.Contains("Drain finished: Completed", gateway.OutputText);
    }

    [Fact]
    public async Task An_idle_connection_gets_both_goaways_too_the_first_is_never_skipped()
    {
        await using var gateway = await InProcessGateway.StartAsync(_upstream.GatewayConfig("announce = 0s, deadline = 10s, idle-quiet = 0s"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var connection = await ConnectionWithOneAnsweredStreamAsync(gateway, timeout.Token);

        // No stream is active now: Kestrel alone would send one GOAWAY with the last stream id and close.
        var stopping = gateway.StopAsync();
        var frames = await Http2AnnounceTests.ReadUntilClosedAsync(connection, timeout.Token);
        await stopping;

        Assert.Equal([int.MaxValue, 1], frames.Where(f => f.Type == 0x7).Select(f => f.LastStreamId).ToArray());
    }

    [Fact]
    public async Task A_client_slow_to_read_the_first_goaway_has_the_streams_it_opened_before_its_ping_ack_taken_and_answered()
    {
        // A long cap: only the client's ACK may end the wait here.
        await using var gateway = await InProcessGateway.StartAsync(_upstream.GatewayConfig("announce = 0s, deadline = 20s, idle-quiet = 0s, goaway-ack-timeout = 15s"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var connection = await ConnectionWithOneAnsweredStreamAsync(gateway, timeout.Token);

        var stopping = gateway.StopAsync();
        byte[]? ping = null;
        var before = new List<(byte Type, int LastStreamId)>();
        while (ping is null)
        {
            var (type, flags, _, payload) = await connection.NextFrameAsync(timeout.Token);
            if (type == 0x7) before.Add((type, ((payload[0] & 0x7F) << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3]));
            else if (type == 0x6 && (flags & 0x1) == 0) ping = payload;
        }
        // Slower than the 250 ms the final GOAWAY used to wait: the client has not read the GOAWAY yet and opens more.
        await Task.Delay(TimeSpan.FromMilliseconds(700), timeout.Token);
        int[] late = [3, 5, 7, 9, 11];
        foreach (var stream in late) await connection.SendGetAsync(stream, "/idle", timeout.Token);
        await connection.SendPingAckAsync(ping, timeout.Token);
        var frames = await Http2AnnounceTests.ReadUntilClosedAsync(connection, timeout.Token);
        await stopping.WaitAsync(timeout.Token);

        Assert.Equal([(0x7, int.MaxValue)], before); // GOAWAY(2^31−1) and the PING in one write, nothing final before
        var goAways = frames.Where(f => f.Type == 0x7).Select(f => f.LastStreamId).ToList();
        Assert.Equal(11, goAways.Last());
        Assert.All(late, s => Assert.True(frames.Any(f => f.Stream == s && f.EndsStream), $"stream {s}, opened before the ACK, was answered"));
        Assert.DoesNotContain(frames, f => f.Type == 0x3); // nothing refused
    }

    [Fact]
    public async Task A_client_that_never_answers_the_ping_gets_the_final_goaway_at_the_cap_and_the_drain_completes()
    {
        await using var gateway = await InProcessGateway.StartAsync(_upstream.GatewayConfig("announce = 0s, deadline = 20s, idle-quiet = 0s, goaway-ack-timeout = 1s"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var connection = await ConnectionWithOneAnsweredStreamAsync(gateway, timeout.Token);

        var drain = System.Diagnostics.Stopwatch.StartNew();
        var stopping = gateway.StopAsync();
        var frames = await Http2AnnounceTests.ReadUntilClosedAsync(connection, timeout.Token);
        var closedAfter = drain.Elapsed;
        await stopping.WaitAsync(timeout.Token);

        Assert.Equal([int.MaxValue, 1], frames.Where(f => f.Type == 0x7).Select(f => f.LastStreamId).ToArray());
        Assert.Contains(frames, f => f.Type == 0x6 && (f.Flags & 0x1) == 0);
        // The final GOAWAY waited for the cap (it starts after the drain did; a timer may fire a few ms early against
        // the Stopwatch), and not for the deadline: nothing forced.
        Assert.True(closedAfter >= TimeSpan.FromMilliseconds(900), $"closed after {closedAfter.TotalMilliseconds:0} ms");
        Assert.Equal(0, gateway.Gateway.Runtime.Listeners.All[0].Counters.ForcedConnections);
    }

    /// <summary>A raw HTTP/2 connection to the gateway whose stream 1 has been answered: open, then idle.</summary>
    private static async Task<RawHttp2Connection> ConnectionWithOneAnsweredStreamAsync(InProcessGateway gateway, CancellationToken cancellationToken)
    {
        var connection = await RawHttp2Connection.OpenAsync(gateway.Gateway.Runtime.Listeners.All[0].Address, cancellationToken);
        await connection.SendGetAsync(1, "/idle", cancellationToken);
        while ((await connection.NextFrameAsync(cancellationToken)) is not { Stream: 1, Flags: var flags } || (flags & 0x1) == 0) { }
        return connection;
    }

    /// <summary>h2load for a few seconds on 4 connections, 8 streams each, across the signal the test sends.</summary>
    private static System.Diagnostics.Process StartH2Load(System.Net.IPEndPoint endpoint)
    {
        var info = new System.Diagnostics.ProcessStartInfo("/usr/bin/h2load") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", "4", "-m", "8", "-D", "4", $"http://{endpoint}/hello" }) info.ArgumentList.Add(arg);
        return System.Diagnostics.Process.Start(info)!;
    }
}
