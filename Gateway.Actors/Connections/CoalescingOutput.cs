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
/// waits for the pump. Being the one writer to the socket, the pump also sends the drain's first GOAWAY and its PING,
/// between two of Kestrel's frames (<see cref="SendGoAwayAsync"/>); the input is watched for that PING's ACK
/// (<see cref="PingAcked"/>).
/// </remarks>
internal sealed class CoalescingOutput : IAsyncDisposable
{
    /// <summary>The opaque data of the drain's PING (Kestrel's keep-alive PING carries zeros).</summary>
    internal static ReadOnlySpan<byte> DrainPingPayload => "gw-drain"u8;

    /// <summary>
    /// GOAWAY, stream 0, last stream id 2^31−1, NO_ERROR: "finish what you sent; open no more"; then a PING whose ACK
    /// comes after every stream the client opened before it read the GOAWAY (RFC 9113 §6.8).
    /// </summary>
    private static readonly byte[] FirstGoAway =
        [0, 0, 8, 0x7, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 8, 0x6, 0, 0, 0, 0, 0, .. DrainPingPayload];

    private readonly Pipe _pipe = new(new PipeOptions(readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
    private readonly Task _pump;
    private readonly TaskCompletionSource<bool> _goAwaySent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Http2FrameBoundary _frames;
    private readonly Http2PingAckObserver _input;
    private int _goAwayWanted;

    private CoalescingOutput(ConnectionContext context, TimeSpan ackTimeout)
    {
        var transport = context.Transport;
        AckTimeout = ackTimeout;
        _input = new Http2PingAckObserver(transport.Input);
        _pump = PumpAsync(_pipe.Reader, transport.Output);
        context.Transport = new DuplexPipe(_input, _pipe.Writer);
    }

    /// <summary>
    /// Replaces the connection's output, and watches its input for the drain PING's ACK (waited for at most
    /// <paramref name="ackTimeout"/>); dispose after the connection's last write.
    /// </summary>
    public static CoalescingOutput Install(ConnectionContext context, TimeSpan ackTimeout) => new(context, ackTimeout);

    /// <summary>How long the final GOAWAY waits at most for the ACK of the drain's PING (<c>gateway.drain.goaway-ack-timeout</c>).</summary>
    public TimeSpan AckTimeout { get; }

    /// <summary>True once Kestrel has taken the ACK of the PING sent with the first GOAWAY (so every stream before it); false when the input ended first.</summary>
    public Task<bool> PingAcked => _input.Acked;

    /// <summary>
    /// Sends GOAWAY(2^31−1) and the drain's PING at the next frame boundary after the server's first frame (SETTINGS
    /// must come first); true once they were written, false when the connection ended before.
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
