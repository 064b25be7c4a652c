using System.Text;

namespace Gateway.Tests.Support;

/// <summary>
/// Generates raw requests for fuzzing from a seeded <see cref="Random"/>: valid HTTP/1.x and HTTP/2 openings, then
/// mutated (bytes flipped, inserted, deleted, repeated, cut) so most are subtly or grossly malformed.
/// </summary>
public sealed class RequestMutator(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly string[] Paths = ["/hello", "/echo", "/api/a/b?q=1", "/idle", "/", "/hello?x=%00", "/%2e%2e/etc/passwd"];
    private static readonly string[] Methods = ["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "BREW"];
    private static readonly byte[] Interesting = "\r\n\0 :;,\t\"\\/%?#\x7f\xff"u8.ToArray();

    /// <summary>One request's bytes: a template, mutated zero or more times.</summary>
    public byte[] Next()
    {
        var bytes = Template();
        var mutations = _random.Next(10) < 2 ? 0 : _random.Next(1, 5);
        for (var i = 0; i < mutations; i++)
            bytes = Mutate(bytes);
        return bytes;
    }

    private byte[] Template()
    {
        var path = Paths[_random.Next(Paths.Length)];
        var method = Methods[_random.Next(Methods.Length)];
        var version = _random.Next(10) == 0 ? "HTTP/1.0" : "HTTP/1.1";
        var body = new string('b', _random.Next(0, 64));
        var headers = new StringBuilder($"Host: gateway.test\r\nX-Fuzz: {_random.Next()}\r\n");
        for (var i = _random.Next(4); i > 0; i--) headers.Append($"X-H{i}: {new string('v', _random.Next(1, 40))}\r\n");
        return _random.Next(8) switch
        {
            0 => Encoding.Latin1.GetBytes($"{method} {path} {version}\r\n{headers}Transfer-Encoding: chunked\r\n\r\n{body.Length:x}\r\n{body}\r\n0\r\n\r\n"),
            1 => Encoding.Latin1.GetBytes($"GET /hello HTTP/1.1\r\n{headers}\r\n{method} {path} HTTP/1.1\r\n{headers}Content-Length: {body.Length}\r\n\r\n{body}"),
            2 => [.. "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8, .. Http2Frames()],
            3 => Encoding.Latin1.GetBytes($"{method} {path} {version}\r\n{headers}X-Big: {new string('x', _random.Next(1000, 6000))}\r\n\r\n"),
            _ => Encoding.Latin1.GetBytes($"{method} {path} {version}\r\n{headers}Content-Length: {body.Length}\r\n\r\n{body}"),
        };
    }

    /// <summary>A few frames: SETTINGS, a HEADERS that may be valid, then random ones.</summary>
    private byte[] Http2Frames()
    {
        var frames = new List<byte>();
        void Frame(byte type, byte flags, int stream, byte[] payload)
        {
            frames.AddRange([(byte)(payload.Length >> 16), (byte)(payload.Length >> 8), (byte)payload.Length, type, flags,
                (byte)(stream >> 24), (byte)(stream >> 16), (byte)(stream >> 8), (byte)stream]);
            frames.AddRange(payload);
        }
        Frame(0x4, 0, 0, []);
        Frame(0x1, 0x5, 1, [0x82, 0x86, 0x04, 0x06, .. "/hello"u8, 0x01, 0x0c, .. "gateway.test"u8]);
        for (var i = _random.Next(4); i > 0; i--)
        {
            var payload = new byte[_random.Next(0, 32)];
            _random.NextBytes(payload);
            Frame((byte)_random.Next(0, 12), (byte)_random.Next(256), _random.Next(0, 8), payload);
        }
        return [.. frames];
    }

    private byte[] Mutate(byte[] bytes)
    {
        if (bytes.Length == 0) return bytes;
        var at = _random.Next(bytes.Length);
        var list = bytes.ToList();
        switch (_random.Next(7))
        {
            case 0:
                list[at] = (byte)_random.Next(256);
                break;
            case 1:
                list[at] = Interesting[_random.Next(Interesting.Length)];
                break;
            case 2:
                list.Insert(at, Interesting[_random.Next(Interesting.Length)]);
                break;
            case 3:
                list.RemoveRange(at, Math.Min(_random.Next(1, 16), list.Count - at));
                break;
            case 4:
                var length = Math.Min(_random.Next(1, 64), list.Count - at);
                var repeat = list.GetRange(at, length);
                for (var i = _random.Next(1, 8); i > 0; i--) list.InsertRange(at, repeat);
                break;
            case 5:
                return [.. list.Take(at)];
            default:
                var line = "\r\n" + (_random.Next(3) switch { 0 => "Content-Length: 5", 1 => "Transfer-Encoding: chunked", _ => "Host: other.test" });
                var cut = bytes.AsSpan().IndexOf("\r\n"u8);
                if (cut > 0) list.InsertRange(cut, Encoding.Latin1.GetBytes(line));
                break;
        }
        return [.. list];
    }
}
