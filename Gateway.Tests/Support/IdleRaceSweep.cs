using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>How a request sent on an idle keep-alive connection ended, as its client sees it.</summary>
public enum IdleRequestOutcome
{
    /// <summary>A complete response.</summary>
    Served,
    /// <summary>The server had closed first (FIN before any byte of a response, or the send found the connection closed): safe to retry.</summary>
    ClosedBeforeRequest,
    /// <summary>A reset after the request was sent, with no response: the client cannot know whether it was processed.</summary>
    Reset,
    /// <summary>Part of a response, then the connection ended.</summary>
    Truncated,
}

/// <summary>
/// Idle keep-alive connections, each sending one more request at a chosen offset from a moment (the stop signal):
/// the idle-close race of every proxy's drain, measured from the client.
/// </summary>
public sealed class IdleRaceSweep
{
    private readonly List<(Socket Socket, TimeSpan Offset)> _connections = [];
    private readonly ConcurrentBag<(TimeSpan Offset, IdleRequestOutcome Outcome)> _results = [];

    /// <summary>The offsets of a coarse sweep: 0, 1, 2, 5, 10, 20, 50 and 100 ms.</summary>
    public static readonly TimeSpan[] CoarseOffsets = new[] { 0, 1, 2, 5, 10, 20, 50, 100 }.Select(ms => TimeSpan.FromMilliseconds(ms)).ToArray();

    /// <summary>A dense sweep: one offset every <paramref name="step"/> up to <paramref name="span"/>.</summary>
    public static TimeSpan[] DenseOffsets(TimeSpan span, TimeSpan step) =>
        Enumerable.Range(0, (int)(span / step)).Select(i => step * i).ToArray();

    public IReadOnlyCollection<(TimeSpan Offset, IdleRequestOutcome Outcome)> Results => _results;

    public int Count(IdleRequestOutcome outcome) => _results.Count(r => r.Outcome == outcome);

    public override string ToString() =>
        string.Join(", ", Enum.GetValues<IdleRequestOutcome>().Select(o => $"{o}={Count(o)}")) + " | by offset: "
        + string.Join(" ", _results.GroupBy(r => TimeSpan.FromMilliseconds(Math.Floor(r.Offset.TotalMilliseconds / 20) * 20)).OrderBy(g => g.Key).Select(g => $"{g.Key.TotalMilliseconds}ms:{g.Count(r => r.Outcome == IdleRequestOutcome.Served)}/{g.Count()}"));

    /// <summary>Opens <paramref name="perOffset"/> connections per offset and sends one request on each (now keep-alive idle).</summary>
    public static async Task<IdleRaceSweep> OpenAsync(IPEndPoint endpoint, string path, IEnumerable<TimeSpan> offsets, int perOffset, CancellationToken cancellationToken)
    {
        var sweep = new IdleRaceSweep();
        foreach (var offset in offsets)
            for (var i = 0; i < perOffset; i++)
            {
                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(endpoint, cancellationToken);
                if (await RequestAsync(socket, path, cancellationToken) != IdleRequestOutcome.Served)
                    throw new IOException("the warm-up request failed");
                sweep._connections.Add((socket, offset));
            }
        return sweep;
    }

    /// <summary>From <paramref name="moment"/> on, each connection sends its request at its offset.</summary>
    public Task RunAsync(DateTime moment, string path, CancellationToken cancellationToken) =>
        Task.WhenAll(_connections.Select(c => Task.Run(async () =>
        {
            var wait = moment + c.Offset - DateTime.UtcNow;
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken);
            _results.Add((c.Offset, await RequestAsync(c.Socket, path, cancellationToken)));
            c.Socket.Dispose();
        }, cancellationToken)));

    private static async Task<IdleRequestOutcome> RequestAsync(Socket socket, string path, CancellationToken cancellationToken)
    {
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: sweep.test\r\n\r\n"), cancellationToken);
        }
        catch (SocketException)
        {
            return IdleRequestOutcome.ClosedBeforeRequest;
        }
        var received = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, cancellationToken);
                if (n == 0) return received.Count == 0 ? IdleRequestOutcome.ClosedBeforeRequest : IdleRequestOutcome.Truncated;
                received.AddRange(buffer.AsSpan(0, n).ToArray());
                if (Http1Response.IsComplete(received)) return IdleRequestOutcome.Served;
            }
        }
        catch (SocketException)
        {
            return received.Count == 0 ? IdleRequestOutcome.Reset : IdleRequestOutcome.Truncated;
        }
    }
}
