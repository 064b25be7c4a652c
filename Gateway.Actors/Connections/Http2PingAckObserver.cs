using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Gateway.Connections;

/// <summary>
/// An HTTP/2 connection's input as Kestrel reads it, watched for the ACK of the drain's PING
/// (<see cref="CoalescingOutput.DrainPingPayload"/>); every byte passes through unchanged (Kestrel ignores an ACK it did
/// not ask for). The client sends frames in order, so every stream it opened before it saw the first GOAWAY has
/// arrived before that ACK — and has been taken by Kestrel when the ACK is seen here, because the bytes are looked at
/// when Kestrel consumes them: Kestrel's copy of its input waits, before it consumes, until its frame loop has
/// processed what it copied.
/// </summary>
/// <remarks>
/// Cheap: frame headers are followed (9 bytes, 24-bit length) and payloads skipped by their length, only a PING ACK's
/// 8 bytes are compared; nothing is allocated per read or frame, and once the ACK is seen nothing is looked at.
/// </remarks>
internal sealed class Http2PingAckObserver(PipeReader inner) : PipeReader
{
    private const int HeaderLength = 9;
    private const byte PingType = 0x6;
    private const byte AckFlag = 0x1;

    private readonly TaskCompletionSource<bool> _acked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ReadOnlySequence<byte> _read;
    // The client's preface comes first and is no frame.
    private long _skip = 24;
    private int _header;
    private int _length;
    private byte _type;
    private byte _flags;
    private int _ackPayload = -1;

    /// <summary>True once the ACK of the drain's PING has been taken by Kestrel; false when the input ended before.</summary>
    public Task<bool> Acked => _acked.Task;

    private bool Watching => !_acked.Task.IsCompleted;

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var pending = inner.ReadAsync(cancellationToken);
        if (!Watching) return pending;
        return pending.IsCompletedSuccessfully ? new(Keep(pending.Result)) : KeepAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<ReadResult> KeepAsync(ValueTask<ReadResult> pending) => Keep(await pending.ConfigureAwait(false));

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result)) return false;
        if (Watching) Keep(result);
        return true;
    }

    private ReadResult Keep(ReadResult result)
    {
        _read = result.Buffer;
        return result;
    }

    public override void AdvanceTo(SequencePosition consumed)
    {
        Observe(consumed);
        inner.AdvanceTo(consumed);
    }

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        Observe(consumed);
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null)
    {
        _acked.TrySetResult(false);
        inner.Complete(exception);
    }

    public override ValueTask CompleteAsync(Exception? exception = null)
    {
        _acked.TrySetResult(false);
        return inner.CompleteAsync(exception);
    }

    /// <summary>Looks at the bytes consumed since the last read, each once.</summary>
    private void Observe(SequencePosition consumed)
    {
        if (!Watching || _read.IsEmpty) return;
        foreach (var segment in _read.Slice(_read.Start, consumed))
            if (Follow(segment.Span)) break;
        _read = default;
    }

    /// <summary>Follows the frames in <paramref name="bytes"/>; true once the ACK was seen.</summary>
    private bool Follow(ReadOnlySpan<byte> bytes)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_skip > 0)
            {
                var take = (int)Math.Min(_skip, bytes.Length - i);
                _skip -= take;
                i += take;
                continue;
            }
            if (_ackPayload >= 0)
            {
                if (ComparePayload(bytes[i++])) return true;
                continue;
            }
            if (_header == 0 && bytes.Length - i >= HeaderLength)
            {
                // The usual case: a whole header in one piece.
                Header((bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2], bytes[i + 3], bytes[i + 4]);
                i += HeaderLength;
                continue;
            }
            var b = bytes[i++];
            switch (_header++)
            {
                case < 3: _length = (_length << 8) | b; break;
                case 3: _type = b; break;
                case 4: _flags = b; break;
            }
            if (_header < HeaderLength) continue;
            Header(_length, _type, _flags);
            (_header, _length) = (0, 0);
        }
        return false;
    }

    private void Header(int length, byte type, byte flags)
    {
        if (type == PingType && (flags & AckFlag) != 0 && length == 8) _ackPayload = 0;
        else _skip = length;
    }

    private bool ComparePayload(byte b)
    {
        if (b != CoalescingOutput.DrainPingPayload[_ackPayload])
        {
            _skip = 8 - _ackPayload - 1;
            _ackPayload = -1;
            return false;
        }
        if (++_ackPayload < 8) return false;
        _ackPayload = -1;
        _acked.TrySetResult(true);
        return true;
    }
}
