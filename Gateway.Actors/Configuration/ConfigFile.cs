using System.Buffers;
using System.Text;

namespace Gateway.Configuration;

/// <summary>
/// Reads a configuration file (or one it includes) as bounded UTF-8 text: a folder, a missing or unreadable file, a
/// file larger than <see cref="MaxBytes"/> (or an endless device) and bytes that are not UTF-8 are refused by name.
/// </summary>
internal static class ConfigFile
{
    /// <summary>A gateway configuration is a few KiB; a thousand routes fit in a few hundred.</summary>
    public const int MaxBytes = 1 << 20;

    /// <exception cref="GatewayConfigException">The file cannot be used, with the reason.</exception>
    public static string Read(string path)
    {
        if (Problem(path) is { } problem)
            throw new GatewayConfigException(path, GatewayConfigException.FileKey, $"cannot read the file: {problem}");
        ArraySegment<byte> bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            // A file that says it is too large is refused unread; one that does not say (a device, a pipe) is read up to the limit.
            bytes = stream.CanSeek && stream.Length > MaxBytes ? default : ReadAtMost(stream, MaxBytes + 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GatewayConfigException(path, GatewayConfigException.FileKey, $"cannot read the file: {Reason(e)}", e);
        }
        if (bytes.Array is null || bytes.Count > MaxBytes)
            throw new GatewayConfigException(path, GatewayConfigException.FileKey,
                $"the file is larger than {MaxBytes / 1024 / 1024} MiB: a gateway configuration is a few KiB; is this the right file?");
        return Decode(path, bytes);
    }

    /// <summary>Why <paramref name="path"/> cannot be read as a file, or null when it may be.</summary>
    public static string? Problem(string path)
    {
        if (Directory.Exists(path)) return "it is a folder: name the file itself";
        if (!File.Exists(path)) return "no such file";
        return null;
    }

    /// <summary>An I/O failure in words, without the exception's text where a shorter one says it.</summary>
    public static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        UnauthorizedAccessException => "permission denied: the gateway's user may not read it",
        _ => e.Message,
    };

    /// <summary>Up to <paramref name="limit"/> bytes, in one buffer sized by the file (a device or pipe reports no size).</summary>
    private static ArraySegment<byte> ReadAtMost(FileStream stream, int limit)
    {
        var buffer = new byte[(int)Math.Clamp((stream.CanSeek ? stream.Length : 0) + 1, 4096, limit)];
        var length = 0;
        int read;
        while ((read = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
            if (length == limit) break;
            if (length == buffer.Length) Array.Resize(ref buffer, Math.Min(buffer.Length * 2, limit));
        }
        return new ArraySegment<byte>(buffer, 0, length);
    }

    private static string Decode(string path, ArraySegment<byte> bytes)
    {
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            var chars = ArrayPool<char>.Shared.Rent(bytes.Count);
            System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out var read, out _, replaceInvalidSequences: false);
            ArrayPool<char>.Shared.Return(chars);
            var line = 1 + bytes.AsSpan(0, read).Count((byte)'\n');
            throw new GatewayConfigException(path, GatewayConfigException.SyntaxKey,
                $"byte 0x{bytes[read]:X2} is not UTF-8 text: save the file as UTF-8", line);
        }
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
