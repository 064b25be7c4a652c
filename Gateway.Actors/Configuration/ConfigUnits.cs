using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Configuration;

/// <summary>
/// Durations and sizes as the gateway reads them: the unit is always written (<c>30s</c>, <c>500ms</c>, <c>8KiB</c>).
/// HOCON would read a bare <c>30</c> as 30 milliseconds or 30 bytes; here it is an error that shows the fix.
/// </summary>
internal static partial class ConfigUnits
{
    /// <summary>A kind of quantity: its units (as multiples of the base: milliseconds, bytes), and how its problems read.</summary>
    private sealed record Scale(string What, string Example, IReadOnlyDictionary<string, double> Units, double Largest, string Largely,
        Func<string, string> NoUnit, string UnitFix);

    private static readonly Scale Durations = new("duration", "30s or 500ms", new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["ns"] = 1e-6, ["nano"] = 1e-6, ["nanos"] = 1e-6, ["nanosecond"] = 1e-6, ["nanoseconds"] = 1e-6,
        ["us"] = 1e-3, ["micro"] = 1e-3, ["micros"] = 1e-3, ["microsecond"] = 1e-3, ["microseconds"] = 1e-3,
        ["ms"] = 1, ["milli"] = 1, ["millis"] = 1, ["millisecond"] = 1, ["milliseconds"] = 1,
        ["s"] = 1000, ["second"] = 1000, ["seconds"] = 1000,
        ["m"] = 60_000, ["minute"] = 60_000, ["minutes"] = 60_000,
        ["h"] = 3_600_000, ["hour"] = 3_600_000, ["hours"] = 3_600_000,
        ["d"] = 86_400_000, ["day"] = 86_400_000, ["days"] = 86_400_000,
    }, Largest: TimeSpan.FromDays(365).TotalMilliseconds, Largely: "longer than a year",
        NoUnit: n => $"write {n}s for seconds or {n}ms for milliseconds", UnitFix: "a unit of time: write ms, s, m, h or d (e.g. 500ms, 30s, 2m)");

    /// <summary>HOCON's size units (Akka reads the same ones): powers of 1024 and of 1000.</summary>
    private static readonly Scale Sizes = new("size", "8KiB, 32KiB or 30MiB", new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["B"] = 1, ["b"] = 1, ["byte"] = 1, ["bytes"] = 1,
        ["K"] = 1L << 10, ["k"] = 1L << 10, ["Ki"] = 1L << 10, ["KiB"] = 1L << 10, ["kibibyte"] = 1L << 10, ["kibibytes"] = 1L << 10,
        ["kB"] = 1e3, ["kilobyte"] = 1e3, ["kilobytes"] = 1e3,
        ["M"] = 1L << 20, ["m"] = 1L << 20, ["Mi"] = 1L << 20, ["MiB"] = 1L << 20, ["mebibyte"] = 1L << 20, ["mebibytes"] = 1L << 20,
        ["MB"] = 1e6, ["megabyte"] = 1e6, ["megabytes"] = 1e6,
        ["G"] = 1L << 30, ["g"] = 1L << 30, ["Gi"] = 1L << 30, ["GiB"] = 1L << 30, ["gibibyte"] = 1L << 30, ["gibibytes"] = 1L << 30,
        ["GB"] = 1e9, ["gigabyte"] = 1e9, ["gigabytes"] = 1e9,
        ["T"] = 1L << 40, ["t"] = 1L << 40, ["Ti"] = 1L << 40, ["TiB"] = 1L << 40, ["tebibyte"] = 1L << 40, ["tebibytes"] = 1L << 40,
        ["TB"] = 1e12, ["terabyte"] = 1e12, ["terabytes"] = 1e12,
    }, Largest: long.MaxValue / 2, Largely: "too large",
        NoUnit: n => $"write {n}B for bytes, or e.g. 8KiB or 30MiB", UnitFix: "a unit of size: write B, KiB, MiB or GiB (e.g. 8KiB, 30MiB)");

    [GeneratedRegex(@"^\s*(?<number>[0-9]+(\.[0-9]+)?)\s*(?<unit>[A-Za-z]*)\s*$")]
    private static partial Regex Quantity();

    /// <summary>Reads a duration; <paramref name="problem"/> says what is wrong and what to write instead.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value, out string problem)
    {
        var read = TryParse(text, Durations, out var milliseconds, out problem);
        value = read ? TimeSpan.FromTicks((long)Math.Round(milliseconds * TimeSpan.TicksPerMillisecond)) : default;
        return read;
    }

    /// <summary>Reads a size in bytes; <paramref name="problem"/> says what is wrong and what to write instead.</summary>
    public static bool TryParseSize(string text, out long value, out string problem)
    {
        var read = TryParse(text, Sizes, out var bytes, out problem);
        value = read ? (long)Math.Round(bytes) : default;
        return read;
    }

    /// <summary>A duration as a person writes it: the largest unit it is a whole number of (<c>30s</c>, <c>250ms</c>, <c>2m</c>).</summary>
    public static string FormatDuration(TimeSpan value) => Format(value.Ticks / (double)TimeSpan.TicksPerMillisecond, DurationUnits, "s");

    /// <summary>A size as a person writes it: the largest unit it is a whole number of (<c>64KiB</c>, <c>30MiB</c>, <c>240B</c>).</summary>
    public static string FormatSize(long bytes) => Format(bytes, SizeUnits, "B");

    /// <summary>A share as a percentage when that reads back to the same number (<c>20%</c>), else as a fraction.</summary>
    public static string FormatShare(double share)
    {
        var percent = (share * 100).ToString("R", CultureInfo.InvariantCulture);
        return double.Parse(percent, CultureInfo.InvariantCulture) / 100 == share ? percent + "%" : share.ToString("R", CultureInfo.InvariantCulture);
    }

    // Largest first; each a unit the parser reads (in the base of its scale: milliseconds, bytes).
    private static readonly (string Unit, double Factor)[] DurationUnits = [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1), ("us", 1e-3), ("ns", 1e-6)];
    private static readonly (string Unit, double Factor)[] SizeUnits = [("TiB", 1L << 40), ("GiB", 1L << 30), ("MiB", 1L << 20), ("KiB", 1L << 10), ("B", 1)];

    private static string Format(double value, (string Unit, double Factor)[] units, string zero)
    {
        if (value == 0) return "0" + zero;
        foreach (var (unit, factor) in units)
        {
            var count = value / factor;
            if (Math.Abs(count - Math.Round(count)) < 1e-9)
                return string.Create(CultureInfo.InvariantCulture, $"{Math.Round(count):0}{unit}");
        }
        var (last, smallest) = units[^1];
        return string.Create(CultureInfo.InvariantCulture, $"{value / smallest:0.###}{last}");
    }

    private static bool TryParse(string text, Scale scale, out double value, out string problem)
    {
        value = 0;
        if (!TryQuantity(text, scale.What, scale.Example, out var number, out var unit, out problem)) return false;
        if (unit.Length == 0)
            problem = $"\"{text.Trim()}\" has no unit: {scale.NoUnit(number.ToString(CultureInfo.InvariantCulture))}";
        else if (!scale.Units.TryGetValue(unit, out var factor))
            problem = $"\"{unit}\" is not {scale.UnitFix}";
        else if (number * factor > scale.Largest)
            problem = $"\"{text.Trim()}\" is {scale.Largely}";
        else
        {
            value = number * factor;
            return true;
        }
        return false;
    }

    private static bool TryQuantity(string text, string what, string example, out double number, out string unit, out string problem)
    {
        number = 0;
        unit = "";
        problem = "";
        if (text.TrimStart().StartsWith('-'))
        {
            problem = $"{text.Trim()} is negative: write a {what} of 0 or more";
            return false;
        }
        var match = Quantity().Match(text);
        if (!match.Success || !double.TryParse(match.Groups["number"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number) || !double.IsFinite(number))
        {
            problem = $"\"{text.Trim()}\" is not a {what}: write e.g. {example}";
            return false;
        }
        unit = match.Groups["unit"].Value;
        return true;
    }
}
