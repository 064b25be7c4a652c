using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Hosting;

/// <summary>
/// Thousands of generated and mutated requests over raw sockets against a real gateway process: afterwards it is
/// alive, serves valid requests, holds no connection or request of them in its bookkeeping, and its memory is back
/// near where it was after the same traffic warmed it up.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class RequestFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 10_000;
    private const int WarmUpCases = 1_000;
    private const int Workers = 16;
    private static readonly TimeSpan TimeLimit = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan AnswerWait = TimeSpan.FromMilliseconds(150);

    /// <summary>
    /// How much the resident set may have grown over the fuzzing. A leak of per-request state (a connection, a
    /// buffer, an actor) costs kilobytes per case, so 10,000 cases would add tens of megabytes or more; 48 MiB over
    /// the warmed-up baseline leaves room for the GC not having returned its last segments yet.
    /// </summary>
    private const long RssGrowthLimit = 48L * 1024 * 1024;

    [Fact]
    public async Task Ten_thousand_mutated_requests_leave_the_gateway_alive_serving_with_nothing_left_open_and_its_memory_near_the_baseline()
    {
        var gateway = new HostileGateway();
        await gateway.InitializeAsync();
        try
        {
            await FuzzAsync(gateway);
        }
        finally
        {
            await gateway.DisposeAsync();
        }
    }

    private async Task FuzzAsync(HostileGateway gateway)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_FUZZ_SEED"), out var s) ? s : Environment.TickCount;
        output.WriteLine($"seed {seed} (GATEWAY_FUZZ_SEED={seed} repeats this run)");
        var mutator = new RequestMutator(seed);
        var statuses = new ConcurrentDictionary<string, int>();

        await RunAsync(gateway.Endpoint, mutator, WarmUpCases, statuses, TimeLimit);
        var baseline = await SettledRssAsync(gateway.Process.Pid);
        var clock = Stopwatch.StartNew();
        var tried = await RunAsync(gateway.Endpoint, mutator, Cases, statuses, TimeLimit);
        clock.Stop();
        var after = await SettledRssAsync(gateway.Process.Pid);

        output.WriteLine($"cases tried: {tried} in {clock.Elapsed.TotalSeconds:0.0}s (+{WarmUpCases} warm-up)");
        output.WriteLine("status histogram: " + string.Join(", ", statuses.OrderByDescending(p => p.Value).Select(p => $"{p.Key}={p.Value}")));
        // 502s are the gateway's own answers when forwarding failed: name why, so a new kind stands out.
        var reasons = gateway.Process.Output.Where(l => l.Contains("forwarding to upstream", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf("failed: ", StringComparison.Ordinal) + 8)..]).GroupBy(r => r).OrderByDescending(g => g.Count()).Take(5);
        output.WriteLine("forwarding failures: " + string.Join("; ", reasons.Select(g => $"{g.Count()}× {g.Key}")));
        output.WriteLine($"RSS before {baseline / 1024 / 1024.0:0.0} MiB, after {after / 1024 / 1024.0:0.0} MiB (limit +{RssGrowthLimit / 1024 / 1024} MiB)");
        Assert.Equal(Cases, tried);
        Assert.False(gateway.Process.Exited.IsCompleted, gateway.Process.OutputText);
        await gateway.AssertServesAsync();
        using (var client = new HttpClient())
        {
            var echo = await client.PostAsync($"http://{gateway.Endpoint}/echo", new StringContent("still here"));
            Assert.Equal("still here", await echo.Content.ReadAsStringAsync());
        }
        Assert.True(after <= baseline + RssGrowthLimit, $"RSS grew from {baseline} to {after} bytes");
        // Nothing of the fuzzing is left in the bookkeeping: no connection still counted open, no request in flight.
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{gateway.Admin}") };
        var settled = await Record.ExceptionAsync(() => Wait.UntilAsync(async () =>
        {
            var listener = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/drain")).RootElement
                .GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "public");
            return listener.GetProperty("open").GetInt64() == 0 && listener.GetProperty("inFlight").GetInt64() == 0;
        }, limit: TimeSpan.FromSeconds(15)));
        Assert.True(settled is null, $"connections or requests left over:\n{await admin.GetStringAsync("/drain")}\n{await admin.GetStringAsync("/tree")}");
        Assert.DoesNotContain(gateway.Process.Output, l => l.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Sends <paramref name="count"/> cases from <see cref="Workers"/> connections at a time; returns how many ran.</summary>
    private static async Task<int> RunAsync(IPEndPoint endpoint, RequestMutator mutator, int count, ConcurrentDictionary<string, int> statuses, TimeSpan limit)
    {
        var next = 0;
        using var stop = new CancellationTokenSource(limit);
        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && Interlocked.Increment(ref next) <= count)
            {
                byte[] request;
                lock (mutator) request = mutator.Next();
                var outcome = await SendAsync(endpoint, request);
                statuses.AddOrUpdate(outcome, 1, (_, n) => n + 1);
            }
        })).ToList();
        await Task.WhenAll(workers);
        return Math.Min(next, count);
    }

    /// <summary>
    /// Sends one case; when no answer has begun shortly after, half-closes, so an incomplete request ends at once
    /// instead of at the header timeout (a half-close before the answer would end complete requests unanswered too).
    /// </summary>
    private static async Task<string> SendAsync(IPEndPoint endpoint, byte[] request)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var first = new byte[16];
        var read = 0;
        try
        {
            await socket.ConnectAsync(endpoint, bound.Token);
            await socket.SendAsync(request, bound.Token);
            var receiving = socket.ReceiveAsync(first.AsMemory(read), bound.Token).AsTask();
            if (await Task.WhenAny(receiving, Task.Delay(AnswerWait, bound.Token)) != receiving)
                socket.Shutdown(SocketShutdown.Send);
            while (read < first.Length)
            {
                var n = receiving is null ? await socket.ReceiveAsync(first.AsMemory(read), bound.Token) : await receiving;
                receiving = null;
                if (n == 0) break;
                read += n;
            }
        }
        catch (SocketException e)
        {
            return read > 0 ? Describe(first, read) : e.SocketErrorCode == SocketError.ConnectionReset ? "reset" : e.SocketErrorCode.ToString();
        }
        catch (OperationCanceledException)
        {
            return read > 0 ? Describe(first, read) : "no answer in 5s";
        }
        return read == 0 ? "closed" : Describe(first, read);
    }

    private static string Describe(byte[] first, int read) =>
        HostileClient.StatusOf(System.Text.Encoding.Latin1.GetString(first, 0, read))?.ToString()
        ?? (read >= 9 && first[3] == 0x4 ? "h2" : "other");

    /// <summary>The gateway's resident set once it has been quiet a moment (a background GC runs when it is idle).</summary>
    private static async Task<long> SettledRssAsync(int pid)
    {
        await Task.Delay(TimeSpan.FromSeconds(3));
        var line = (await File.ReadAllLinesAsync($"/proc/{pid}/status")).Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
