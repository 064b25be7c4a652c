using System.Buffers;
using System.Globalization;
using System.Text;
using Gateway.Configuration;
using Microsoft.AspNetCore.Http;

namespace Gateway.Routing;

/// <summary>
/// Relays a server-sent event stream so that a drain can end it between two events — never inside one — with an
/// optional <c>retry:</c> hint, and the response completes normally (the client sees the end of the stream, not an
/// error). A response is a stream by its media type, <c>text/event-stream</c>, whatever the request's Accept said;
/// <see cref="ForwardingTransform"/> runs this once it has finished the response's head.
/// </summary>
internal static class EventStreamRelay
{
    /// <summary>The most bytes of the upstream's stream relayed in one read.</summary>
    internal const int BufferSize = 16 * 1024;

    /// <summary>Relays the upstream's event stream to the client until either side ends it, or the drain does.</summary>
    public static async Task RunAsync(HttpContext context, HttpResponseMessage proxyResponse, StreamSettings settings)
    {
        using var stream = GatewayRequestHandler.ConnectionOf(context)?.OpenStream(settings);
        // YARP's token carries its response timeout, which its own copy renews on every read; this relay is not
        // bound by it — the stream lasts until either side ends it or the drain does.
        var aborted = context.RequestAborted;
        try
        {
            var upstream = await proxyResponse.Content.ReadAsStreamAsync(aborted);
            await RelayAsync(upstream, context.Response, stream?.Goodbye ?? CancellationToken.None, settings, aborted);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException)
        {
            // The client left, or the upstream broke off inside the stream: the client must not take that for a
            // complete stream, so its response is aborted rather than ended.
            if (!aborted.IsCancellationRequested) context.Abort();
        }
    }

    private static async Task RelayAsync(Stream upstream, HttpResponse response, CancellationToken goodbye, StreamSettings settings, CancellationToken aborted)
    {
        await response.StartAsync(aborted);
        var boundary = new EventBoundary();
        using var goodbyeOrAborted = CancellationTokenSource.CreateLinkedTokenSource(aborted, goodbye);
        while (true)
        {
            if (goodbye.IsCancellationRequested && boundary.AtBoundary) break;
            // Between events a goodbye ends the wait; inside one the rest of the event is awaited first.
            var wait = boundary.AtBoundary ? goodbyeOrAborted.Token : aborted;
            byte[]? buffer = null;
            try
            {
                int read;
                try
                {
                    // A stream waits for its next event most of its life: it waits holding no buffer (a zero-byte
                    // read), so that a thousand quiet streams hold none, and takes one from the pool for the bytes.
                    _ = await upstream.ReadAsync(Memory<byte>.Empty, wait);
                    buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                    read = await upstream.ReadAsync(buffer, wait);
                }
                catch (OperationCanceledException) when (goodbye.IsCancellationRequested && !aborted.IsCancellationRequested)
                {
                    break;
                }
                if (read == 0) return;
                var count = goodbye.IsCancellationRequested ? boundary.UpToNextBoundary(buffer.AsSpan(0, read)) : boundary.Advance(buffer.AsSpan(0, read));
                await response.Body.WriteAsync(buffer.AsMemory(0, count), aborted);
                await response.Body.FlushAsync(aborted);
            }
            finally
            {
                if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        if (settings.SseRetry > TimeSpan.Zero)
            await response.Body.WriteAsync(Encoding.ASCII.GetBytes(
                $"retry: {((long)settings.SseRetry.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}\n\n"), aborted);
    }

    /// <summary>Tracks whether the bytes relayed so far end at an event boundary (a blank line).</summary>
    private sealed class EventBoundary
    {
        private byte _last = (byte)'\n';
        private byte _beforeLast = (byte)'\n';

        public bool AtBoundary { get; private set; } = true;

        /// <summary>Takes all of <paramref name="bytes"/>; returns its length.</summary>
        public int Advance(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes) Step(b);
            return bytes.Length;
        }

        /// <summary>Takes bytes up to and including the first boundary; returns how many (all when none is reached).</summary>
        public int UpToNextBoundary(ReadOnlySpan<byte> bytes)
        {
            for (var i = 0; i < bytes.Length; i++)
            {
                Step(bytes[i]);
                if (AtBoundary) return i + 1;
            }
            return bytes.Length;
        }

        private void Step(byte b)
        {
            // An event ends with an empty line: "\n\n", "\r\r" or "\r\n\r\n" (its last two line ends).
            AtBoundary = b == '\n' && (_last == '\n' || (_last == '\r' && _beforeLast == '\n'))
                         || b == '\r' && _last == '\r';
            (_beforeLast, _last) = (_last, b);
        }
    }
}
