using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Gateway.Upstreams;

/// <summary>
/// An HTTP/1.x connection of an endpoint's pool, as SocketsHttpHandler reads and writes it. It tells a request's
/// <see cref="ForwardAttempt"/> whether the write carrying its head went out: the first write of an attempt on a
/// connection is its whole head. Before that write it looks once more whether the endpoint closed the connection
/// (an end of stream or a reset already read, or waiting in the socket): then it writes nothing, so the request
/// provably never reached the endpoint, and may be sent again whatever its method.
/// </summary>
/// <remarks>
/// SocketsHttpHandler checks a pooled connection before it reuses it, but an endpoint that closes idle connections
/// (a restart, its keep-alive timeout) can do so in the moment between that check and the head's write; this narrows
/// the moment to the write itself. A close that crosses the head on the wire is still a request the endpoint may
/// have read: that one is not retried unless its method is idempotent.
/// </remarks>
internal sealed class Http1ConnectionStream(Stream inner) : Stream
{
    /// <summary>What a request refused before its head was written fails with: nothing of it was sent.</summary>
    public sealed class ClosedBeforeSentException() : IOException("the endpoint had closed the connection before the request was sent");

    private readonly Socket? _socket = (inner as NetworkStream)?.Socket;
    private ForwardAttempt? _writer;
    private volatile bool _peerClosed;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var attempt = ForwardAttempt.Current;
        if (attempt is null || ReferenceEquals(attempt, _writer)) return inner.WriteAsync(buffer, cancellationToken);
        _writer = attempt;
        if (_peerClosed || PeerClosing())
        {
            attempt.HeadRefused();
            return ValueTask.FromException(new ClosedBeforeSentException());
        }
        return WriteHeadAsync(buffer, attempt, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteHeadAsync(ReadOnlyMemory<byte> head, ForwardAttempt attempt, CancellationToken cancellationToken)
    {
        attempt.HeadWriting();
        try
        {
            await inner.WriteAsync(head, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // Not all of the head went out (a reset, a broken pipe): the endpoint cannot have received the whole head.
            attempt.HeadWritten(whole: false);
            throw;
        }
        catch
        {
            // Cancelled: nothing says how much of it went out, so it counts as sent.
            attempt.HeadWritten(whole: true);
            throw;
        }
        attempt.HeadWritten(whole: true);
    }

    /// <summary>
    /// The socket has something to read before a request was written: an end of stream, a reset, or bytes no
    /// request asked for (a server's goodbye). Either way the connection cannot carry a request.
    /// </summary>
    private bool PeerClosing()
    {
        try
        {
            return _socket?.Poll(0, SelectMode.SelectRead) == true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ValueTask<int> read;
        try
        {
            read = inner.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException)
        {
            _peerClosed = true;
            throw;
        }
        if (!read.IsCompletedSuccessfully) return ReadLaterAsync(read, buffer.IsEmpty);
        var n = read.Result;
        if (n == 0 && !buffer.IsEmpty) _peerClosed = true;
        return new ValueTask<int>(n);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReadLaterAsync(ValueTask<int> read, bool zeroByteRead)
    {
        try
        {
            var n = await read.ConfigureAwait(false);
            // A zero-byte read (SocketsHttpHandler's wait for data on an idle connection) returns 0 without an end.
            if (n == 0 && !zeroByteRead) _peerClosed = true;
            return n;
        }
        catch (IOException)
        {
            _peerClosed = true;
            throw;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    public override void Flush() => inner.Flush();
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync() => inner.DisposeAsync();
}
