using System.Diagnostics;
using System.Net;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Routing;

/// <summary>
/// A server-sent event stream is a stream by its response's media type, not by the request's Accept: a client that
/// sends no Accept (curl, most HTTP libraries) gets the same goodbye at a SIGTERM — a clean end between two events,
/// with the retry hint — over HTTP/1.1 and HTTP/2, with <c>graceful-close</c> when the announce window ends.
/// </summary>
public sealed class EventStreamByResponseTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Announce = TimeSpan.FromSeconds(1);
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task An_event_stream_without_Accept_ends_cleanly_with_its_retry_hint_when_the_announce_ends_over_HTTP1_and_HTTP2()
    {
        await using var gateway = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{_upstream.Endpoint}}"], response-timeout = 2s }
              routes.app    { listener = public, path-prefix = "/", upstream = app, streams { on-drain = graceful-close, sse-retry = 1500ms } }
              drain { announce = {{Announce.TotalSeconds}}s, deadline = 30s }
            }
            """);
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

        var streams = new List<(string Protocol, Task<(string Text, TimeSpan EndedAt)> Ending)>();
        var signalled = new Stopwatch();
        foreach (var version in new[] { HttpVersion.Version11, HttpVersion.Version20, HttpVersion.Version11, HttpVersion.Version20 })
            streams.Add(($"HTTP/{version}", await OpenAsync(http, endpoint, version, signalled, timeout.Token)));

        signalled.Start();
        gateway.Signal(GatewayProcess.SigTerm);

        foreach (var (protocol, ending) in streams)
        {
            var (text, endedAt) = await ending;
            output.WriteLine($"{protocol}: ended {endedAt.TotalMilliseconds:0} ms after SIGTERM, last bytes {text[^Math.Min(40, text.Length)..].ReplaceLineEndings("\\n")}");
            Assert.EndsWith("\n\nretry: 1500\n\n", text);
            Assert.All(text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)[..^1], b => Assert.Matches(@"^id: (\d+)\ndata: tick \1$", b));
            // graceful-close says goodbye when the announce window ends, not before; keep-until-deadline would wait for 29 s.
            Assert.True(endedAt >= Announce, $"{protocol}: the goodbye came {endedAt.TotalMilliseconds:0} ms after the signal, inside the announce window");
            Assert.True(endedAt < TimeSpan.FromSeconds(20), $"{protocol}: the goodbye came only {endedAt.TotalSeconds:0.0} s after the signal");
        }
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        Assert.Contains("Drain finished: Completed", gateway.OutputText);
    }

    /// <summary>Opens an event stream without Accept, reads its first event, and returns the reading of the rest.</summary>
    private static async Task<Task<(string, TimeSpan)>> OpenAsync(HttpClient http, IPEndPoint endpoint, Version version, Stopwatch signalled, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"http://{endpoint}/ticks?ms=50") { Version = version, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        Assert.Empty(request.Headers.Accept);
        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(version, response.Version);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (!text.ToString().Contains("\n\n"))
            text.Append(Encoding.UTF8.GetString(buffer, 0, await body.ReadAsync(buffer, cancellationToken)));
        return ReadToEndAsync();

        async Task<(string, TimeSpan)> ReadToEndAsync()
        {
            using (response)
            {
                // A clean end: the read returns 0 (a reset would throw).
                for (int n; (n = await body.ReadAsync(buffer, cancellationToken)) > 0;)
                    text.Append(Encoding.UTF8.GetString(buffer, 0, n));
                return (text.ToString(), signalled.Elapsed);
            }
        }
    }
}
