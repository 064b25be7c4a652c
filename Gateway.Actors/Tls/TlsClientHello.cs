using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace Gateway.Tls;

/// <summary>
/// The first bytes of a connection to a TLS listener, peeked (never consumed) before the handshake: whether they are
/// a TLS handshake at all, and the application protocols (ALPN) the client offers, so that a refusal can be counted
/// with its reason. Parsing is best effort: anything unusual is left for the TLS stack to judge.
/// </summary>
internal sealed class TlsClientHello
{
    private const byte HandshakeRecord = 0x16;
    private const byte ClientHelloMessage = 0x01;
    private const ushort ServerNameExtension = 0;
    private const ushort AlpnExtension = 16;

    private TlsClientHello(bool isTls, IReadOnlyList<string>? protocols = null, string? serverName = null, bool read = false)
    {
        IsTls = isTls;
        Protocols = protocols;
        ServerName = serverName;
        Read = read;
    }

    /// <summary>The whole ClientHello was read: <see cref="ServerName"/> and <see cref="Protocols"/> are what the client sent.</summary>
    public bool Read { get; }

    /// <summary>The SNI host name, or null when the client sent none (or it could not be read: see <see cref="Read"/>).</summary>
    public string? ServerName { get; }

    /// <summary>False: the client opened with something else (typically a plain HTTP request).</summary>
    public bool IsTls { get; }

    /// <summary>The ALPN protocols offered, or null when the client offered none (or they could not be read).</summary>
    public IReadOnlyList<string>? Protocols { get; }

    /// <summary>True when the client offered ALPN and none of its protocols is one the gateway speaks.</summary>
    public bool OffersNoneOf(IEnumerable<string> spoken) => Protocols is { Count: > 0 } offered && !offered.Intersect(spoken).Any();

    /// <summary>Peeks until the first record is complete (or cannot be); null when the client went away first.</summary>
    public static async ValueTask<TlsClientHello?> PeekAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult read;
            try
            {
                read = await input.ReadAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
            var buffer = read.Buffer;
            var hello = TryParse(buffer);
            // Consume nothing: the TLS stack reads the same bytes next.
            input.AdvanceTo(buffer.Start, hello is null ? buffer.End : buffer.Start);
            if (hello is not null) return hello;
            if (read.IsCompleted || read.IsCanceled) return null;
        }
    }

    /// <summary>The verdict on the bytes so far, or null when more are needed.</summary>
    internal static TlsClientHello? TryParse(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length == 0) return null;
        if (buffer.FirstSpan[0] != HandshakeRecord) return new TlsClientHello(false);
        if (buffer.Length < 5) return null;
        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        var recordLength = header[3] << 8 | header[4];
        if (buffer.Length < 5 + recordLength) return null;
        var record = buffer.Slice(5, recordLength).ToArray();
        return ReadExtensions(record) ?? new TlsClientHello(true);
    }

    /// <summary>SNI and ALPN of a ClientHello held whole in one record; null when it is not (the TLS stack judges).</summary>
    private static TlsClientHello? ReadExtensions(ReadOnlySpan<byte> m)
    {
        // handshake type (1), length (3), version (2), random (32)
        if (m.Length < 38 || m[0] != ClientHelloMessage) return null;
        if (4 + (m[1] << 16 | m[2] << 8 | m[3]) > m.Length) return null; // continues in the next record
        var at = 38;
        if (!Skip(m, ref at, 1)) return null;            // session id
        if (!Skip(m, ref at, 2)) return null;            // cipher suites
        if (!Skip(m, ref at, 1)) return null;            // compression methods
        if (at + 2 > m.Length) return new TlsClientHello(true, read: true); // no extensions at all
        var end = at + 2 + (m[at] << 8 | m[at + 1]);
        if (end > m.Length) return null;
        at += 2;
        List<string>? protocols = null;
        string? serverName = null;
        while (at + 4 <= end)
        {
            var type = (ushort)(m[at] << 8 | m[at + 1]);
            var length = m[at + 2] << 8 | m[at + 3];
            at += 4;
            if (at + length > end) return null;
            if (type == AlpnExtension && (protocols = ReadProtocolList(m.Slice(at, length))) is null) return null;
            if (type == ServerNameExtension && (serverName = ReadHostName(m.Slice(at, length))) is null) return null;
            at += length;
        }
        return new TlsClientHello(true, protocols, serverName, read: true);
    }

    /// <summary>The host_name entry of a server_name extension (RFC 6066), or null when unreadable.</summary>
    private static string? ReadHostName(ReadOnlySpan<byte> ext)
    {
        if (ext.Length < 5 || ext[2] != 0) return null;
        var length = ext[3] << 8 | ext[4];
        if (5 + length > ext.Length || length == 0) return null;
        var name = Encoding.ASCII.GetString(ext.Slice(5, length));
        return name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') ? name : null;
    }

    private static List<string>? ReadProtocolList(ReadOnlySpan<byte> ext)
    {
        if (ext.Length < 2) return null;
        var list = new List<string>();
        var at = 2;
        while (at < ext.Length)
        {
            var length = ext[at++];
            if (at + length > ext.Length) return null;
            list.Add(Encoding.ASCII.GetString(ext.Slice(at, length)));
            at += length;
        }
        return list;
    }

    /// <summary>Skips a vector whose length is written in <paramref name="lengthBytes"/> bytes.</summary>
    private static bool Skip(ReadOnlySpan<byte> m, ref int at, int lengthBytes)
    {
        if (at + lengthBytes > m.Length) return false;
        var length = lengthBytes == 1 ? m[at] : m[at] << 8 | m[at + 1];
        at += lengthBytes + length;
        return at <= m.Length;
    }
}
