using System.Text;
using Microsoft.Net.Http.Headers;

namespace Gateway.Hosting;

/// <summary>
/// How Kestrel reads the two request headers whose written form its parser would otherwise lose. Kestrel asks
/// <c>KestrelServerOptions.RequestHeaderEncodingSelector</c> how to decode each header value; every other header
/// gets Kestrel's default.
/// <list type="bullet">
/// <item><c>Content-Length</c>: Kestrel's number parser takes <c>+3</c> for 3. Read here, a digit stays a digit and any
/// other byte becomes a letter, so Kestrel answers 400 to anything but 1*DIGIT (RFC 9110 §8.6).</item>
/// <item><c>Connection</c>: Kestrel folds a value whose only option it knows is keep-alive, close or upgrade into that
/// option alone, dropping the other options — the hop-by-hop headers the client named, which the gateway must not
/// forward (RFC 9110 §7.6.1). Read here, those names stay, and the connection behaves the same.</item>
/// </list>
/// </summary>
internal static class RequestHeaderReading
{
    /// <summary>For <c>KestrelServerOptions.RequestHeaderEncodingSelector</c>; null: Kestrel's default.</summary>
    public static Encoding? Select(string headerName)
    {
        if (ReferenceEquals(headerName, HeaderNames.ContentLength)) return ContentLengthDigits.Instance;
        if (ReferenceEquals(headerName, HeaderNames.Connection)) return ConnectionOptionsKept.Instance;
        // Kestrel passes its own constants for the headers it knows; any other spelling is another header.
        return null;
    }

    /// <summary>A digit as itself, any other byte as a letter, which Kestrel's parser refuses.</summary>
    private sealed class ContentLengthDigits : ReadOnlyEncoding
    {
        public static readonly ContentLengthDigits Instance = new();

        public override int GetCharCount(byte[] bytes, int index, int count) => count;

        public override int GetChars(byte[] bytes, int byteIndex, int byteCount, char[] chars, int charIndex)
        {
            for (var i = 0; i < byteCount; i++)
            {
                var b = bytes[byteIndex + i];
                chars[charIndex + i] = b is >= (byte)'0' and <= (byte)'9' ? (char)b : 'x';
            }
            return byteCount;
        }

        public override int GetMaxCharCount(int byteCount) => byteCount;
    }

    /// <summary>
    /// A Connection value as written, unless Kestrel would fold away the header names in it: then a keep-alive
    /// beside them is left out (HTTP/1.1 keeps the connection alive anyway; an HTTP/1.0 one is closed after its
    /// response), and a lone close or upgrade is joined by keep-alive (close wins over it; an upgrade leaves HTTP/1.x).
    /// </summary>
    private sealed class ConnectionOptionsKept : ReadOnlyEncoding
    {
        public static readonly ConnectionOptionsKept Instance = new();

        public override int GetCharCount(byte[] bytes, int index, int count) => Read(bytes.AsSpan(index, count)).Length;

        public override int GetChars(byte[] bytes, int byteIndex, int byteCount, char[] chars, int charIndex)
        {
            var text = Read(bytes.AsSpan(byteIndex, byteCount));
            text.CopyTo(0, chars, charIndex, text.Length);
            return text.Length;
        }

        public override int GetMaxCharCount(int byteCount) => byteCount + ", keep-alive".Length;

        private static string Read(ReadOnlySpan<byte> bytes)
        {
            var text = Latin1.GetString(bytes);
            bool keepAlive = false, close = false, upgrade = false, names = false;
            foreach (var range in text.AsSpan().Split(','))
            {
                var option = text.AsSpan()[range].Trim(" \t");
                if (option.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)) keepAlive = true;
                else if (option.Equals("close", StringComparison.OrdinalIgnoreCase)) close = true;
                else if (option.Equals("upgrade", StringComparison.OrdinalIgnoreCase)) upgrade = true;
                else if (!option.IsEmpty) names = true;
            }
            if (keepAlive && !close && !upgrade && names)
                return string.Join(", ", text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Where(o => !o.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)));
            // A close or an upgrade on its own line would be folded too, taking the names of the other lines with it.
            if ((close ^ upgrade) && !keepAlive) return text + ", keep-alive";
            return text;
        }
    }

    /// <summary>An encoding Kestrel only decodes with; encoding is Latin-1, for completeness.</summary>
    private abstract class ReadOnlyEncoding : Encoding
    {
        public override int GetByteCount(char[] chars, int index, int count) => count;

        public override int GetBytes(char[] chars, int charIndex, int charCount, byte[] bytes, int byteIndex) =>
            Latin1.GetBytes(chars, charIndex, charCount, bytes, byteIndex);

        public override int GetMaxByteCount(int charCount) => charCount;
    }
}
