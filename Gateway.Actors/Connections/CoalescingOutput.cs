using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Connections;

/// <summary>
/// Gives an HTTP/2 connection an output that leaves through a pump on the thread pool, so that the frames of many
/// streams written meanwhile go out in one send. Sockets run inline (see <c>gateway.io-threads</c>): right for
/// HTTP/1.1, but then every HTTP/2 stream's response is sent the moment it is written — measured with h2load -c4 -m32,
/// 2.0 sends per request (one to the upstream, one to the client) instead of 1.3, and HTTP/2 fell behind YARP.
/// </summary>
/// <remarks>
/// Back-pressure is kept: the pump waits for the socket's flush, and the pipe in between pauses writers past its
/// threshold. The connection's last bytes (the final GOAWAY) are sent before the connection ends: <see cref="DisposeAsync"/>
/// waits for the pump. Being the one writer to the socket, the pump also sends the drain's first GOAWAY, between two of
/// Kestrel's frames (<see cref="SendGoAwayAsync"/>).
/// </remarks>
internal sealed class CoalescingOutput : IAsyncDisposable
{
    /// <summary>GOAWAY, stream 0, last stream id 2^31−1, NO_ERROR: "finish what you sent; open no more".</summary>
    private static readonly byte[] FirstGoAway = [0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];

    private readonly Pipe _pipe = new(new PipeOptions(readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
    private readonly Task _pump;
    private readonly TaskCompletionSource<bool> _goAwaySent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Http2FrameBoundary _frames;
    private int _goAwayWanted;

    private CoalescingOutput(ConnectionContext context)
    {
        var transport = context.Transport;
        _pump = PumpAsync(_pipe.Reader, transport.Output);
        context.Transport = new DuplexPipe(transport.Input, _pipe.Writer);
    }

    /// <summary>Replaces the connection's output; dispose after the connection's last write.</summary>
    public static CoalescingOutput Install(ConnectionContext context) => new(context);

    /// <summary>
    /// Sends GOAWAY(2^31−1) at the next frame boundary after the server's first frame (SETTINGS must come first);
    /// true once it was written, false when the connection ended before.
    /// </summary>
    public Task<bool> SendGoAwayAsync()
    {
        if (Interlocked.Exchange(ref _goAwayWanted, 1) == 0)
            _pipe.Reader.CancelPendingRead(); // wakes an idle pump
        return _goAwaySent.Task;
    }

    private async Task PumpAsync(PipeReader from, PipeWriter to)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await from.ReadAsync();
                foreach (var segment in read.Buffer)
                    Write(segment.Span, to);
                TryWriteGoAway(to);
                from.AdvanceTo(read.Buffer.End);
                var flushed = await to.FlushAsync();
                if (read.IsCompleted || flushed.IsCompleted) break;
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        _goAwaySent.TrySetResult(false);
        // The writer side learns that the socket is gone on its next write; the socket side that we are done.
        await from.CompleteAsync(error);
        await to.CompleteAsync(error);
    }

    /// <summary>Copies Kestrel's bytes; while a GOAWAY waits, frame by frame so it goes in at the first boundary.</summary>
    private void Write(ReadOnlySpan<byte> bytes, PipeWriter to)
    {
        while (!bytes.IsEmpty)
        {
            var n = _frames.Advance(bytes, stopAtBoundary: Volatile.Read(ref _goAwayWanted) == 1 && !_goAwaySent.Task.IsCompleted);
            to.Write(bytes[..n]);
            bytes = bytes[n..];
            TryWriteGoAway(to);
        }
    }

    private void TryWriteGoAway(PipeWriter to)
    {
        if (Volatile.Read(ref _goAwayWanted) == 0 || _goAwaySent.Task.IsCompleted || !_frames.AtBoundary || _frames.Frames == 0) return;
        to.Write(FirstGoAway);
        _goAwaySent.TrySetResult(true);
    }

    public async ValueTask DisposeAsync()
    {
        await _pipe.Writer.CompleteAsync();
        await _pump;
    }
}
