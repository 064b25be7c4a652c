using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>What happened to one new connection carrying one request.</summary>
public enum StormOutcome
{
    /// <summary>A complete response.</summary>
    Served,
    /// <summary>The connection was refused: nothing was sent, safe to retry elsewhere.</summary>
    Refused,
    /// <summary>The server closed (FIN) after the request was sent, without a byte of response.</summary>
    ClosedUnanswered,
    /// <summary>The server reset the connection after the request was sent: the client cannot know what happened.</summary>
    Reset,
    /// <summary>Neither connected nor refused in time.</summary>
    TimedOut,
}

/// <summary>
/// Loops that each open a new connection per request (GET, one response, close), bounded in count and time, and
/// count how every attempt ended: the view of a client arriving while a listener stops.
/// </summary>
public sealed class ConnectionStorm(IPEndPoint endpoint, string path, int loops, int maxAttemptsPerLoop)
{
    private readonly ConcurrentDictionary<StormOutcome, int> _outcomes = new();

    public int this[StormOutcome outcome] => _outcomes.GetValueOrDefault(outcome);

    public int Attempts => _outcomes.Values.Sum();

    public override string ToString() => string.Join(", ", Enum.GetValues<StormOutcome>().Select(o => $"{o}={this[o]}"));

    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < maxAttemptsPerLoop && !stop.IsCancellationRequested; i++)
                _outcomes.AddOrUpdate(await AttemptAsync(), 1, (_, n) => n + 1);
        }, CancellationToken.None)));

    private async Task<StormOutcome> AttemptAsync()
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await socket.ConnectAsync(endpoint, patience.Token);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return StormOutcome.Refused;
        }
        catch (OperationCanceledException)
        {
            return StormOutcome.TimedOut;
        }
        try
        {
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: storm.test\r\n\r\n"), patience.Token);
            var received = new List<byte>();
            var buffer = new byte[4096];
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, patience.Token);
                if (n == 0) return received.Count == 0 ? StormOutcome.ClosedUnanswered : StormOutcome.Reset;
                received.AddRange(buffer.AsSpan(0, n).ToArray());
                if (Http1Response.IsComplete(received)) return StormOutcome.Served;
            }
        }
        catch (SocketException)
        {
            return StormOutcome.Reset;
        }
        catch (OperationCanceledException)
        {
            return StormOutcome.TimedOut;
        }
    }
}
