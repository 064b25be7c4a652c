using System.Text;

namespace Gateway.Tests.Support;

/// <summary>
/// Mutates configuration files for fuzzing from a seeded <see cref="Random"/>: bytes flipped or replaced by ones HOCON
/// cares about, brackets and quotes deleted or doubled, spans cut or repeated, the file truncated. Each mutation is
/// described, so a failing case can be read and replayed.
/// </summary>
public sealed class ConfigMutator(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly byte[] Interesting = "{}[]\"$?,=:#/\\\n\r\0\t .+`\x7f\xff\xc3"u8.ToArray();
    private static readonly byte[] Structural = "{}[]\""u8.ToArray();

    /// <summary>One to three mutations of <paramref name="original"/>, and what they were.</summary>
    public (byte[] Bytes, string Mutations) Next(byte[] original)
    {
        var bytes = original.ToList();
        var described = new StringBuilder();
        for (var i = _random.Next(1, 4); i > 0 && bytes.Count > 0; i--)
            described.Append(Mutate(bytes)).Append("; ");
        return ([.. bytes], described.ToString());
    }

    private string Mutate(List<byte> bytes)
    {
        var at = _random.Next(bytes.Count);
        switch (_random.Next(8))
        {
            case 0:
                var bit = 1 << _random.Next(8);
                bytes[at] ^= (byte)bit;
                return $"flip bit {bit} at {at}";
            case 1:
                var b = Interesting[_random.Next(Interesting.Length)];
                bytes[at] = b;
                return $"byte 0x{b:X2} at {at}";
            case 2:
            case 3:
                var positions = Enumerable.Range(0, bytes.Count).Where(i => Structural.Contains(bytes[i])).ToList();
                if (positions.Count == 0) goto case 1;
                var structural = positions[_random.Next(positions.Count)];
                var which = (char)bytes[structural];
                if (_random.Next(2) == 0)
                {
                    bytes.RemoveAt(structural);
                    return $"delete `{which}` at {structural}";
                }
                bytes.Insert(structural, bytes[structural]);
                return $"double `{which}` at {structural}";
            case 4:
                var cut = Math.Min(_random.Next(1, 24), bytes.Count - at);
                bytes.RemoveRange(at, cut);
                return $"delete {cut} bytes at {at}";
            case 5:
                var length = Math.Min(_random.Next(1, 48), bytes.Count - at);
                var repeat = bytes.GetRange(at, length);
                var times = _random.Next(1, 4);
                for (var i = 0; i < times; i++) bytes.InsertRange(at, repeat);
                return $"repeat {length} bytes at {at} {times}x";
            case 6:
                var insert = Interesting[_random.Next(Interesting.Length)];
                bytes.Insert(at, insert);
                return $"insert 0x{insert:X2} at {at}";
            default:
                bytes.RemoveRange(at, bytes.Count - at);
                return $"truncate at {at}";
        }
    }
}
