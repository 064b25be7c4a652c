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
/// waits for the pump.
/// </remarks>
internal sealed class CoalescingOutput : IAsyncDisposable
{
    private readonly Pipe _pipe = new(new PipeOptions(readerScheduler: PipeScheduler.ThreadPool, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
    private readonly Task _pump;

    private CoalescingOutput(ConnectionContext context)
    {
        var transport = context.Transport;
        _pump = PumpAsync(_pipe.Reader, transport.Output);
        context.Transport = new DuplexPipe(transport.Input, _pipe.Writer);
    }

    /// <summary>Replaces the connection's output; dispose after the connection's last write.</summary>
    public static CoalescingOutput Install(ConnectionContext context) => new(context);

    private static async Task PumpAsync(PipeReader from, PipeWriter to)
    {
        Exception? error = null;
        try
        {
            while (true)
            {
                var read = await from.ReadAsync();
                foreach (var segment in read.Buffer)
                    to.Write(segment.Span);
                from.AdvanceTo(read.Buffer.End);
                var flushed = await to.FlushAsync();
                if (read.IsCompleted || read.IsCanceled || flushed.IsCompleted) break;
            }
        }
        catch (Exception e)
        {
            error = e;
        }
        // The writer side learns that the socket is gone on its next write; the socket side that we are done.
        await from.CompleteAsync(error);
        await to.CompleteAsync(error);
    }

    public async ValueTask DisposeAsync()
    {
        await _pipe.Writer.CompleteAsync();
        await _pump;
    }
}
