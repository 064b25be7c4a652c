namespace Gateway.Routing.Grpc;

/// <summary>
/// Follows gRPC's length-prefixed messages through a byte stream without buffering them: it knows how many messages
/// have begun and whether the bytes so far end exactly at a message boundary (where a call may be ended cleanly).
/// </summary>
internal sealed class GrpcFraming
{
    private readonly byte[] _prefix = new byte[GrpcProtocol.PrefixLength];
    private int _prefixRead;
    private long _bodyLeft;

    /// <summary>Messages whose first byte has been seen.</summary>
    public int Messages { get; private set; }

    /// <summary>The length of the largest message whose prefix has been seen.</summary>
    public long LargestMessage { get; private set; }

    /// <summary>Bytes seen so far.</summary>
    public long Bytes { get; private set; }

    /// <summary>No message is partly through: the next byte would start a new one.</summary>
    public bool AtBoundary => _prefixRead == 0 && _bodyLeft == 0;

    /// <summary>Takes <paramref name="bytes"/>; returns how many of them lie before the first boundary after their start (all when none).</summary>
    public int Advance(ReadOnlySpan<byte> bytes, bool stopAtBoundary = false)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_bodyLeft > 0)
            {
                var take = (int)Math.Min(_bodyLeft, bytes.Length - i);
                _bodyLeft -= take;
                i += take;
            }
            else
            {
                if (_prefixRead == 0) Messages++;
                _prefix[_prefixRead++] = bytes[i++];
                if (_prefixRead == GrpcProtocol.PrefixLength)
                {
                    _bodyLeft = (uint)(_prefix[1] << 24 | _prefix[2] << 16 | _prefix[3] << 8 | _prefix[4]);
                    _prefixRead = 0;
                    LargestMessage = Math.Max(LargestMessage, _bodyLeft);
                }
            }
            if (stopAtBoundary && AtBoundary) break;
        }
        Bytes += i;
        return i;
    }
}
