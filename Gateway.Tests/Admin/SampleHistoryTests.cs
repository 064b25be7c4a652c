using System.Net;
using System.Text.Json;
using Gateway.Host.Admin;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Admin;

/// <summary>The five minutes of samples the gateway keeps for the live page and <c>status</c>.</summary>
public sealed class SampleHistoryTests : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Config(string announce = "0s") => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
          routes.app { listener = public, path-prefix = "/", upstream = app }
          drain { announce = {{announce}}, deadline = 20s }
        }
        """;

    private static Sample At(long t) => new(t, "Serving", [new ListenerSample("public", t, 0, t)]);

    [Fact]
    public void The_rings_keep_the_newest_five_minutes_in_order_whatever_the_uptime()
    {
        var history = new SampleHistory();
        for (var t = 1L; t <= 1000; t++) history.Record(At(t * 1000));
        for (var t = 1L; t <= 200; t++) history.Mark(new PhaseMark(t * 5000, "Draining", null));

        var all = history.Since(0);
        Assert.Equal(SampleHistory.Capacity, all.Count);
        Assert.Equal(Enumerable.Range(701, 300).Select(t => t * 1000L), all.Select(s => s.T));
        Assert.Equal([998_000L, 999_000, 1_000_000], history.Since(997_000).Select(s => s.T));
        Assert.Equal([999_000L, 1_000_000], history.Last(2).Select(s => s.T));
        // Phase changes older than the oldest sample have left the window with it.
        var marks = history.MarksSince(0);
        Assert.InRange(marks.Count, 1, SampleHistory.MarkCapacity);
        Assert.All(marks, m => Assert.True(m.T >= 700_000, $"mark at {m.T} is older than the window"));
        Assert.Equal(1_000_000, marks[^1].T);
    }

    [Fact]
    public async Task The_sampler_takes_a_sample_a_second_and_marks_each_phase_change_of_a_drain()
    {
        // An announce window long enough to undrain in; the gateway's own shutdown at the end waits it out once.
        await using var gateway = await InProcessGateway.StartAsync(Config(announce: "4s"));
        var runtime = gateway.Gateway.Runtime;
        var history = new SampleHistory();
        var sampler = new AdminSampler(runtime, history);
        var t0 = DateTimeOffset.UtcNow;

        sampler.Tick(t0);
        sampler.Tick(t0.AddMilliseconds(250));
        sampler.Tick(t0.AddMilliseconds(500));
        Assert.Single(history.Since(0));
        sampler.Tick(t0.AddMilliseconds(1000));
        Assert.Equal(2, history.Since(0).Count);

        using var admin = new HttpClient { BaseAddress = gateway.Admin };
        Assert.Equal(HttpStatusCode.Accepted, (await admin.PostAsync("/drain", null)).StatusCode);
        var started = runtime.State.DrainStartedAt!.Value;
        sampler.Tick(t0.AddMilliseconds(1250));
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/undrain", null)).StatusCode);
        sampler.Tick(t0.AddMilliseconds(1500));
        sampler.Tick(t0.AddMilliseconds(2000));

        var marks = history.MarksSince(0);
        Assert.Equal(["Announcing", "Resuming", "Serving"], marks.Select(m => m.Phase));
        Assert.Equal("Admin", marks[0].Reason);
        Assert.True(marks[0].T <= started.ToUnixTimeMilliseconds(), "the drain's mark is at its t = 0, not at the poll that saw it");
        Assert.Equal(["Serving", "Serving", "Serving"], history.Since(0).Select(s => s.Phase));
    }

    [Fact]
    public async Task Get_history_answers_the_samples_taken_before_it_was_asked_with_the_requests_counted()
    {
        await using var gateway = await InProcessGateway.StartAsync(Config());
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        for (var i = 0; i < 5; i++) (await client.GetAsync(new Uri(gateway.Listener(), "/hello"))).EnsureSuccessStatusCode();
        using var admin = new HttpClient { BaseAddress = gateway.Admin };
        async Task<JsonElement> History(string query = "") => JsonDocument.Parse(await admin.GetStringAsync("/history" + query)).RootElement;

        // Samples go on once a second whoever asks; wait for three, the newest taken after the five requests.
        await Wait.UntilAsync(async () => (await History()).GetProperty("samples").EnumerateArray().ToList() is { Count: >= 3 } s
            && s[^1].GetProperty("requests").GetInt64() == 5);
        var samples = (await History()).GetProperty("samples").EnumerateArray().ToList();
        var times = samples.Select(s => s.GetProperty("t").GetInt64()).ToList();
        Assert.All(times.Zip(times.Skip(1)), pair => Assert.InRange(pair.Second - pair.First, 750, 60_000));
        Assert.Equal(5, samples[^1].GetProperty("requests").GetInt64());
        var listener = samples[^1].GetProperty("listeners").EnumerateArray().Single();
        Assert.Equal("public", listener.GetProperty("name").GetString());
        Assert.Equal(5, listener.GetProperty("requests").GetInt64());

        Assert.Equal(1, (await History("?last=1")).GetProperty("samples").GetArrayLength());
        var newer = (await History($"?since={times[^2]}")).GetProperty("samples").EnumerateArray().Select(s => s.GetProperty("t").GetInt64());
        Assert.All(newer, t => Assert.True(t > times[^2]));
        Assert.Equal(JsonValueKind.Null, (await History()).GetProperty("drain").ValueKind);

        var drainReport = JsonDocument.Parse(await admin.GetStringAsync("/drain")).RootElement;
        Assert.Equal(5, drainReport.GetProperty("listeners")[0].GetProperty("requests").GetInt64());
    }
}
