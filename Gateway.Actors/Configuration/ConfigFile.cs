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
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            bytes = ReadAtMost(stream, MaxBytes + 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new GatewayConfigException(path, GatewayConfigException.FileKey, $"cannot read the file: {Reason(e)}", e);
        }
        if (bytes.Length > MaxBytes)
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

    private static byte[] ReadAtMost(Stream stream, int limit)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            using var content = new MemoryStream();
            int read;
            while (content.Length < limit && (read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, limit - content.Length))) > 0)
                content.Write(buffer, 0, read);
            return content.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Decode(string path, byte[] bytes)
    {
        var chars = new char[bytes.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
        if (status != System.Buffers.OperationStatus.Done)
        {
            var line = 1 + bytes.AsSpan(0, read).Count((byte)'\n');
            throw new GatewayConfigException(path, GatewayConfigException.SyntaxKey,
                $"byte 0x{bytes[read]:X2} is not UTF-8 text: save the file as UTF-8", line);
        }
        return new string(chars, 0, written);
    }
}
