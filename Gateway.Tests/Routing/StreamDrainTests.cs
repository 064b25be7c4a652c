using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Routing;

/// <summary>
/// Long-lived streams at a SIGTERM get a proper goodbye: WebSockets a close 1001 "going away", server-sent event
/// streams a clean end between two events with a retry hint — at once with <c>graceful-close</c>, shortly before the
/// deadline with <c>keep-until-deadline</c>.
/// </summary>
public sealed class StreamDrainTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int EventStreams = 50;
    private const int WebSockets = 20;
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private string Config(string policy, string deadline) => $$"""
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          upstreams.app { endpoints = ["{{_upstream.Endpoint}}"], response-timeout = 2s }
          routes.app    { listener = public, path-prefix = "/", upstream = app, streams { on-drain = {{policy}}, sse-retry = 1500ms } }
          drain { announce = 0s, deadline = {{deadline}} }
        }
        """;

    [Fact]
    public async Task Graceful_close_says_goodbye_to_every_stream_at_once_and_the_process_exits_long_before_the_deadline()
    {
        var (elapsed, gateway) = await DrainWithStreamsAsync("graceful-close", TimeSpan.FromSeconds(30));
        Assert.True(elapsed < TimeSpan.FromSeconds(10), $"exited {elapsed.TotalSeconds:0.0}s after SIGTERM; the deadline was 30s");
        Assert.Contains("Drain finished: Completed", gateway);
    }

    [Fact]
    public async Task Keep_until_deadline_lets_streams_run_then_says_the_same_goodbye_before_the_deadline()
    {
        var (elapsed, gateway) = await DrainWithStreamsAsync("keep-until-deadline", TimeSpan.FromSeconds(5));
        Assert.True(elapsed > TimeSpan.FromSeconds(3), $"streams ran only {elapsed.TotalSeconds:0.0}s of a 5s deadline");
        Assert.Contains("Drain finished: Completed", gateway);
    }

    /// <summary>Opens the streams (each carrying traffic longer than the upstream's response timeout), signals, checks every goodbye.</summary>
    private async Task<(TimeSpan Elapsed, string Log)> DrainWithStreamsAsync(string policy, TimeSpan deadline)
    {
        await using var gateway = GatewayProcess.StartWithConfig(Config(policy, $"{deadline.TotalSeconds}s"));
        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

        var events = Enumerable.Range(0, EventStreams).Select(_ => ReadEventStreamAsync(http, endpoint, timeout.Token)).ToList();
        var sockets = new List<ClientWebSocket>();
        for (var i = 0; i < WebSockets; i++)
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://{endpoint}/ws"), timeout.Token);
            Assert.Equal($"echo: hello {i}", await EchoAsync(socket, $"hello {i}", timeout.Token));
            sockets.Add(socket);
        }
        // Longer than the upstream's 2s response timeout: that timeout is for answers, not for open streams.
        await Task.Delay(TimeSpan.FromSeconds(2.5), timeout.Token);
        Assert.All(sockets, s => Assert.Equal(WebSocketState.Open, s.State));

        var signalled = Stopwatch.StartNew();
        gateway.Signal(GatewayProcess.SigTerm);
        var goodbyes = sockets.Select(s => WaitForGoodbyeAsync(s, timeout.Token)).ToList();

        foreach (var (status, description) in await Task.WhenAll(goodbyes))
        {
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
            Assert.Equal("going away", description);
        }
        foreach (var text in await Task.WhenAll(events))
        {
            Assert.EndsWith("retry: 1500\n\n", text);
            var blocks = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            Assert.True(blocks.Length > 3, $"too few events before the goodbye: {text}");
            // Every event arrived whole: its id and its data, never a cut half.
            Assert.All(blocks[..^1], b => Assert.Matches(@"^id: (\d+)\ndata: tick \1$", b));
        }
        Assert.Equal(0, await gateway.WaitForExitAsync(deadline + TimeSpan.FromSeconds(10)));
        var elapsed = signalled.Elapsed;
        output.WriteLine($"{policy}: {EventStreams} event streams and {WebSockets} WebSockets said goodbye; SIGTERM → exit {elapsed.TotalMilliseconds:0} ms");
        sockets.ForEach(s => s.Dispose());
        return (elapsed, gateway.OutputText);
    }

    private static async Task<string> ReadEventStreamAsync(HttpClient http, IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{endpoint}/ticks?ms=50");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // A clean end of stream: the read returns 0 (an abort would throw).
        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private static async Task<string> EchoAsync(ClientWebSocket socket, string text, CancellationToken cancellationToken)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, cancellationToken);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    private static async Task<(WebSocketCloseStatus?, string?)> WaitForGoodbyeAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, cancellationToken);
            if (received.MessageType != WebSocketMessageType.Close) continue;
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", cancellationToken);
            return (socket.CloseStatus, socket.CloseStatusDescription);
        }
    }
}
