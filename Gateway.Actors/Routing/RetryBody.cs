using System.Buffers;

namespace Gateway.Routing;

/// <summary>
/// A request body as the forwarder reads it from the client, keeping what it read (up to a limit) so that a retry
/// can send the same bytes again: <see cref="Rewind"/> replays them, then reading goes on from the client.
/// </summary>
internal sealed class RetryBody(Stream client, int limit) : ReadOnlyBodyStream
{
    private byte[]? _kept;
    private int _length;
    private int _position;
    private bool _overflowed;

    /// <summary>Bytes read from the client so far.</summary>
    public long BytesRead { get; private set; }

    /// <summary>
    /// Starts the body over for a retry; false when more of it was read than the limit keeps (it cannot be sent again).
    /// </summary>
    public bool Rewind()
    {
        if (_overflowed) return false;
        _position = 0;
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < _length) return Replay(buffer.Span);
        var n = await client.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        Keep(buffer.Span[..n]);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        if (_position < _length) return Replay(buffer.AsSpan(offset, count));
        var n = client.Read(buffer, offset, count);
        Keep(buffer.AsSpan(offset, n));
        return n;
    }

    private int Replay(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _length - _position);
        _kept.AsSpan(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    private void Keep(ReadOnlySpan<byte> read)
    {
        BytesRead += read.Length;
        if (_overflowed || read.Length == 0) return;
        if (_length + read.Length > limit)
        {
            _overflowed = true;
            Release();
            return;
        }
        if (_kept is null || _kept.Length < _length + read.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Min(limit, Math.Max(4096, 2 * (_length + read.Length))));
            _kept?.AsSpan(0, _length).CopyTo(larger);
            Release();
            _kept = larger;
        }
        read.CopyTo(_kept.AsSpan(_length));
        _length += read.Length;
        _position = _length;
    }

    private void Release()
    {
        if (_kept is not null) ArrayPool<byte>.Shared.Return(_kept);
        _kept = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Release();
        base.Dispose(disposing);
    }
}
