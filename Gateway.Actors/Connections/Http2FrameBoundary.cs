namespace Gateway.Connections;

/// <summary>
/// Follows the frames of an HTTP/2 byte stream (9-byte header: 24-bit payload length, type, flags, stream id) to know
/// where one ends, so that a frame of our own can be put between two of Kestrel's and never inside one.
/// </summary>
internal struct Http2FrameBoundary
{
    private const int HeaderLength = 9;
    private int _header;
    private int _length;
    private long _payload;

    /// <summary>Frames that went past completely.</summary>
    public long Frames { get; private set; }

    /// <summary>Between two frames (or before the first).</summary>
    public readonly bool AtBoundary => _header == 0 && _payload == 0;

    /// <summary>
    /// Follows <paramref name="bytes"/>; with <paramref name="stopAtBoundary"/> it stops at the first frame end and
    /// returns how many bytes that took, else it takes them all.
    /// </summary>
    public int Advance(ReadOnlySpan<byte> bytes, bool stopAtBoundary)
    {
        var i = 0;
        while (i < bytes.Length)
        {
            if (_payload > 0)
            {
                var take = (int)Math.Min(_payload, bytes.Length - i);
                _payload -= take;
                i += take;
                if (_payload > 0) continue;
                Frames++;
                if (stopAtBoundary) return i;
                continue;
            }
            if (_header < 3) _length = (_length << 8) | bytes[i];
            _header++;
            i++;
            if (_header < HeaderLength) continue;
            (_header, _payload, _length) = (0, _length, 0);
            if (_payload > 0) continue;
            Frames++;
            if (stopAtBoundary) return i;
        }
        return i;
    }
}
