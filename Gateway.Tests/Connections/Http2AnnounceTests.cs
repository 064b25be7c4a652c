using System.Diagnostics;
using System.Net;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Connections;

/// <summary>
/// HTTP/2 connections that arrive during the announce window are served: they get the server's SETTINGS and their
/// first streams answered, and only then the two-phase GOAWAY (2^31−1, then the last stream taken) like the others.
/// </summary>
public sealed class Http2AnnounceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Forty_new_h2c_connections_in_the_announce_window_are_all_served_then_told_to_go_away()
    {
        Assert.True(File.Exists("/usr/bin/nghttp"), "the test needs nghttp: apt-get install nghttp2-client");
        await using var gateway = GatewayProcess.StartWithConfig(_upstream.GatewayConfig("announce = 4s, deadline = 10s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        gateway.Signal(GatewayProcess.SigTerm);
        await gateway.WaitForLineAsync("Drain started: readiness is 503", TimeSpan.FromSeconds(10));
        var window = Stopwatch.StartNew();

        // .NET's HTTP/2 client with prior knowledge, a connection each: every first call is answered.
        var calls = Enumerable.Range(0, 40).Select(async _ =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false })
            {
                DefaultRequestVersion = HttpVersion.Version20,
                DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await client.GetAsync($"http://{endpoint}/hello", timeout.Token);
            return (response.StatusCode, response.Version, await response.Content.ReadAsStringAsync(timeout.Token));
        }).ToList();
        // nghttp shows the frames: the server's SETTINGS come first, the stream is answered, and any GOAWAY keeps it.
        var nghttp = await RunAsync("/usr/bin/nghttp", "-nv", $"http://{endpoint}/idle");
        // A raw client reads every frame until the server closes.
        using var raw = await RawHttp2Connection.OpenAsync(endpoint, timeout.Token);
        await raw.SendGetAsync(1, "/idle", timeout.Token);
        var frames = await ReadUntilClosedAsync(raw, timeout.Token);
        var answered = await Task.WhenAll(calls);
        Assert.True(window.Elapsed < TimeSpan.FromSeconds(4), $"the clients ran within the announce window ({window.Elapsed.TotalSeconds:0.0}s)");

        Assert.All(answered, a =>
        {
            Assert.Equal(HttpStatusCode.OK, a.StatusCode);
            Assert.Equal(HttpVersion.Version20, a.Version);
            Assert.Equal("hello from upstream", a.Item3);
        });
        output.WriteLine(nghttp);
        var settings = nghttp.IndexOf("recv SETTINGS frame", StringComparison.Ordinal);
        var status = nghttp.IndexOf(":status: 200", StringComparison.Ordinal);
        Assert.True(settings >= 0 && status > settings, "nghttp: the server's SETTINGS, then the answer");
        var received = System.Text.RegularExpressions.Regex.Matches(nghttp, @"recv GOAWAY frame[^\n]*\n\s*\(last_stream_id=(\d+)")
            .Select(m => long.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(received);
        Assert.Equal(int.MaxValue, received[0]); // never a GOAWAY that refuses the stream it came for
        Assert.DoesNotContain(0L, received);

        output.WriteLine(string.Join("\n", frames.Select(f => f.ToString())));
        var goAways = frames.Where(f => f.Type == 0x7).Select(f => f.LastStreamId).ToList();
        Assert.True(frames.Any(f => f.Stream == 1 && f.EndsStream), "the first stream was answered in full");
        Assert.Equal([int.MaxValue, 1], goAways); // two phases: finish what you sent, then: the last one taken was 1
        Assert.True(frames.FindIndex(f => f.Type == 0x7 && f.LastStreamId == 1) > frames.FindIndex(f => f.Stream == 1 && f.EndsStream),
            "the final GOAWAY follows the answer");
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    internal sealed record Frame(byte Type, byte Flags, int Stream, int LastStreamId)
    {
        public bool EndsStream => Type is 0x0 or 0x1 && (Flags & 0x1) != 0;
        public override string ToString() => Type == 0x7 ? $"GOAWAY last={LastStreamId}" : $"type {Type} stream {Stream} flags 0x{Flags:x2}";
    }

    internal static async Task<List<Frame>> ReadUntilClosedAsync(RawHttp2Connection connection, CancellationToken cancellationToken)
    {
        var frames = new List<Frame>();
        try
        {
            while (true)
            {
                var (type, flags, stream, payload) = await connection.NextFrameAsync(cancellationToken);
                var last = type == 0x7 ? ((payload[0] & 0x7F) << 24) | (payload[1] << 16) | (payload[2] << 8) | payload[3] : 0;
                frames.Add(new Frame(type, flags, stream, last));
            }
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            return frames; // the server closed the connection after its last frame
        }
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        text += await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text;
    }
}
