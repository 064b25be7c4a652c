using System.Buffers;
using System.Net.Sockets;

namespace Gateway.Connections;

/// <summary>
/// One direction of a raw TCP relay, socket to socket: receive, send it all, receive again — a send finishes before
/// the next receive, so a slow reader slows the writer down through TCP's window. The reader's FIN is passed on as a
/// FIN (half-close) and ends this direction; the other one goes on.
/// </summary>
internal static class SocketCopy
{
    /// <summary>The most one receive takes (a pooled buffer; loopback transfers measured fastest here at 64 KiB).</summary>
    internal const int ChunkSize = 64 * 1024;

    /// <summary>
    /// Copies until <paramref name="from"/>'s FIN (true) or until <paramref name="stop"/> (false), calling
    /// <paramref name="received"/> with each chunk's size. Throws what the sockets throw (a reset, a close).
    /// </summary>
    public static async Task<bool> CopyAsync(Socket from, Socket to, Action<long> received, CancellationToken stop)
    {
        byte[]? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Waiting with no buffer: an idle connection holds none (a zero-byte receive completes on readiness).
                    await from.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, stop).ConfigureAwait(false);
                    buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                }
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, stop).ConfigureAwait(false);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return true;
                }
                received(read);
                // No token: a chunk already read is delivered; a stuck send ends when the relay closes its sockets.
                await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None).ConfigureAwait(false);
                if (read < buffer.Length)
                {
                    // The socket had less than a buffer's worth: likely drained, so wait for readiness again.
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = null;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
