namespace Gateway.Routing.Grpc;

/// <summary>
/// The client's request body as the forwarder reads it for a gRPC call: it counts the messages (a second one makes
/// the call a stream), ends when the gateway ends the call, and keeps the first <see cref="ReplayLimit"/> bytes so
/// that a call an upstream provably did not process (refused stream, above a GOAWAY's last stream id) can be sent
/// again elsewhere. The listener's <c>max-body-bytes</c> bounds each message (a stream may carry any number of them):
/// a larger one is refused with RESOURCE_EXHAUSTED before a byte of it is forwarded.
/// </summary>
internal sealed class GrpcRequestBody(Stream inner, GrpcCall call, long maxMessageBytes) : ReadOnlyBodyStream
{
    /// <summary>How much of a request body is kept for a retry: a unary call's message usually fits.</summary>
    public const int ReplayLimit = 64 * 1024;

    private readonly GrpcFraming _framing = new();
    private byte[]? _replay = new byte[4096];
    private int _replayed = -1; // ≥ 0 while a retry re-reads the kept bytes
    private int _messages;

    /// <summary>Bytes of the body handed to the forwarder so far (the first attempt's reads).</summary>
    public long BytesRead => _framing.Bytes;

    /// <summary>
    /// Makes the next attempt read the body from its start; false when more was read than was kept (the call cannot be
    /// replayed).
    /// </summary>
    public bool Rewind()
    {
        if (_replay is null) return false;
        _replayed = _framing.Bytes == 0 ? -1 : 0;
        return true;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (call.Ended is not null) return 0;
        if (_replayed >= 0 && _replay is not null)
        {
            var count = (int)Math.Min(buffer.Length, _framing.Bytes - _replayed);
            _replay.AsMemory(_replayed, count).CopyTo(buffer);
            _replayed += count;
            if (_replayed == _framing.Bytes) _replayed = -1; // replayed: the client's body goes on from here
            return count;
        }

        int read;
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.Ends))
        {
            try
            {
                read = await inner.ReadAsync(buffer, linked.Token);
            }
            catch (OperationCanceledException) when (call.Ended is not null && !cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
        }
        _framing.Advance(buffer.Span[..read]);
        if (_framing.LargestMessage > maxMessageBytes) return TooLarge();
        Keep(buffer.Span[..read]);
        if (_framing.Messages != _messages)
        {
            _messages = _framing.Messages;
            call.MessageBegan(_messages);
        }
        return read;
    }

    private int TooLarge()
    {
        var text = $"a gRPC message of {_framing.LargestMessage} bytes is larger than max-body-bytes ({maxMessageBytes} bytes)";
        // Before the response, the call is answered RESOURCE_EXHAUSTED (the 413 is mapped); after it began, it is ended so.
        if (call.ResponseStarted) call.End(GrpcStatusCode.ResourceExhausted, text);
        else throw new Microsoft.AspNetCore.Http.BadHttpRequestException(text, Microsoft.AspNetCore.Http.StatusCodes.Status413PayloadTooLarge);
        return 0;
    }

    /// <summary>Keeps what was just read (ending at <see cref="GrpcFraming.Bytes"/>) while the body fits the replay limit.</summary>
    private void Keep(ReadOnlySpan<byte> bytes)
    {
        if (_replay is null || bytes.IsEmpty) return;
        var total = _framing.Bytes;
        if (total > ReplayLimit)
        {
            _replay = null;
            return;
        }
        if (total > _replay.Length) Array.Resize(ref _replay, (int)Math.Min(ReplayLimit, Math.Max(total, _replay.Length * 2L)));
        bytes.CopyTo(_replay.AsSpan((int)(total - bytes.Length)));
    }
}
