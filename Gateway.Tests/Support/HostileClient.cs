using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Support;

/// <summary>What a raw exchange got back: the status of the first response (if any), how the peer ended, the bytes.</summary>
public sealed record RawReply(int? Status, PeerClose End, string Text)
{
    public override string ToString() => $"{Status?.ToString() ?? "no response"}, {End}";
}

/// <summary>One part of a raw request: bytes sent after a pause (a slow client sends many small parts).</summary>
public sealed record RawPart(byte[] Bytes, TimeSpan PauseBefore)
{
    public static implicit operator RawPart(string text) => new(Encoding.Latin1.GetBytes(text), TimeSpan.Zero);
}

/// <summary>Sends arbitrary bytes over a fresh connection and reads what comes back, bounded in time.</summary>
public static class HostileClient
{
    /// <summary>
    /// Sends <paramref name="parts"/> (stopping when the peer has closed) and reads until the peer closes, or until it
    /// has said nothing for <paramref name="quiet"/> after answering, or <paramref name="limit"/> passed.
    /// </summary>
    public static async Task<RawReply> ExchangeAsync(IPEndPoint endpoint, IEnumerable<RawPart> parts, TimeSpan limit, TimeSpan? quiet = null)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var overall = new CancellationTokenSource(limit);
        await socket.ConnectAsync(endpoint, overall.Token);
        var received = new MemoryStream();
        var end = PeerClose.StillOpen;
        var reading = ReadAsync();
        foreach (var part in parts)
        {
            if (reading.IsCompleted) break;
            if (part.PauseBefore > TimeSpan.Zero)
                await Task.WhenAny(reading, Task.Delay(part.PauseBefore, overall.Token).ContinueWith(_ => { }, TaskScheduler.Default));
            if (reading.IsCompleted || overall.IsCancellationRequested) break;
            try
            {
                await socket.SendAsync(part.Bytes, overall.Token);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
        }
        await reading;
        var text = Encoding.Latin1.GetString(received.ToArray());
        return new RawReply(StatusOf(text), end, text);

        async Task ReadAsync()
        {
            var buffer = new byte[16 * 1024];
            while (true)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(overall.Token);
                if (received.Length > 0) wait.CancelAfter(quiet ?? TimeSpan.FromSeconds(2));
                try
                {
                    var n = await socket.ReceiveAsync(buffer, wait.Token);
                    if (n == 0)
                    {
                        end = PeerClose.Fin;
                        return;
                    }
                    received.Write(buffer, 0, n);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    end = PeerClose.Reset;
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Sends bytes in one piece; see <see cref="ExchangeAsync(IPEndPoint, IEnumerable{RawPart}, TimeSpan, TimeSpan?)"/>.</summary>
    public static Task<RawReply> ExchangeAsync(IPEndPoint endpoint, byte[] bytes, TimeSpan limit, TimeSpan? quiet = null) =>
        ExchangeAsync(endpoint, [new RawPart(bytes, TimeSpan.Zero)], limit, quiet);

    /// <summary>The status code of an HTTP/1.x response at the start of <paramref name="text"/>.</summary>
    public static int? StatusOf(string text) =>
        text.StartsWith("HTTP/1.", StringComparison.Ordinal) && text.Length >= 12 && int.TryParse(text.AsSpan(9, 3), out var status) ? status : null;

    /// <summary>A request head and body trickled <paramref name="step"/> bytes at a time, <paramref name="pause"/> apart.</summary>
    public static IEnumerable<RawPart> Trickle(string head, string slow, int step, TimeSpan pause)
    {
        yield return head;
        for (var i = 0; i < slow.Length; i += step)
            yield return new RawPart(Encoding.Latin1.GetBytes(slow.Substring(i, Math.Min(step, slow.Length - i))), pause);
    }
}
