using System.Net;
using System.Text.Json;
using Akka.TestKit.Xunit2;
using Gateway.Telemetry;
using Gateway.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Tests.Telemetry;

public sealed class AccessLogTests : TestKit
{
    private static AccessLogEntry Entry(int i) =>
        new(DateTimeOffset.UtcNow, 1, "public", "r", null, "GET", $"/{i}", "HTTP/1.1", 200, 2, 0.5, "127.0.0.1");

    /// <summary>A writer that holds every write until released, as a slow disk would.</summary>
    private sealed class HeldWriter : StringWriter
    {
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override async Task WriteLineAsync(string? value)
        {
            await Release.Task;
            await base.WriteLineAsync(value);
        }
    }

    [Fact]
    public async Task A_full_queue_drops_and_counts_instead_of_waiting_and_completion_writes_the_rest()
    {
        var sink = new HeldWriter();
        var log = new AccessLog(sink, capacity: 8);
        log.Start(Sys, NullLogger.Instance);

        // The sink is held, so a write that waited for it would never return: the loop ending proves none waits.
        const int entries = 10_000;
        await Task.Run(() => { for (var i = 0; i < entries; i++) log.Write(Entry(i)); })
            .WaitAsync(TimeSpan.FromSeconds(60));
        // What the held pipeline can take in: the queue (8), a batch being gathered and one being written (256 each)
        // and the stream's small stage buffers — far below 1,000.
        Assert.True(log.Dropped > entries - 1_000, $"dropped {log.Dropped} of {entries}");

        sink.Release.SetResult();
        await log.CompleteAsync();
        var lines = sink.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(entries - log.Dropped, lines.Length);
        Assert.Equal(lines.Length, log.Written);
        Assert.Equal("/0", JsonDocument.Parse(lines[0]).RootElement.GetProperty("path").GetString());
    }

    [Fact]
    public async Task A_drained_run_logs_every_request_served_including_the_last_one_before_exit()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        var file = Path.Combine(Path.GetTempPath(), $"gateway-access-{Guid.NewGuid():N}.log");
        await using var gateway = GatewayProcess.StartWithConfig(upstream.GatewayConfig("deadline = 20s") + "\n" + $$"""
            gateway.access-log.path = "{{file}}"
            """);
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 0; i < 50; i++)
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"http://{endpoint}/hello?n={i}")).StatusCode);
        var last = client.GetAsync($"http://{endpoint}/slow?ms=1000");
        await Wait.UntilAsync(() => upstream.Requests >= 51);

        gateway.Signal(GatewayProcess.SigTerm);
        Assert.Equal(HttpStatusCode.OK, (await last).StatusCode);
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));

        var lines = await File.ReadAllLinesAsync(file);
        Assert.Equal(51, lines.Length);
        var final = JsonDocument.Parse(lines[^1]).RootElement;
        Assert.Equal("/slow", final.GetProperty("path").GetString());
        Assert.Equal(200, final.GetProperty("status").GetInt32());
        Assert.Equal("app", final.GetProperty("upstream").GetString());
    }
}
