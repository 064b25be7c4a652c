using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Configuration;

/// <summary>
/// Durations and sizes as the gateway reads them: the unit is always written (<c>30s</c>, <c>500ms</c>, <c>8KiB</c>).
/// HOCON would read a bare <c>30</c> as 30 milliseconds or 30 bytes; here it is an error that shows the fix.
/// </summary>
internal static partial class ConfigUnits
{
    private static readonly TimeSpan LongestDuration = TimeSpan.FromDays(365);

    private static readonly Dictionary<string, double> DurationUnits = new(StringComparer.Ordinal)
    {
        ["ns"] = 1e-6, ["nano"] = 1e-6, ["nanos"] = 1e-6, ["nanosecond"] = 1e-6, ["nanoseconds"] = 1e-6,
        ["us"] = 1e-3, ["micro"] = 1e-3, ["micros"] = 1e-3, ["microsecond"] = 1e-3, ["microseconds"] = 1e-3,
        ["ms"] = 1, ["milli"] = 1, ["millis"] = 1, ["millisecond"] = 1, ["milliseconds"] = 1,
        ["s"] = 1000, ["second"] = 1000, ["seconds"] = 1000,
        ["m"] = 60_000, ["minute"] = 60_000, ["minutes"] = 60_000,
        ["h"] = 3_600_000, ["hour"] = 3_600_000, ["hours"] = 3_600_000,
        ["d"] = 86_400_000, ["day"] = 86_400_000, ["days"] = 86_400_000,
    };

    /// <summary>HOCON's size units (Akka reads the same ones): powers of 1024 and of 1000.</summary>
    private static readonly Dictionary<string, long> SizeUnits = new(StringComparer.Ordinal)
    {
        ["B"] = 1, ["b"] = 1, ["byte"] = 1, ["bytes"] = 1,
        ["K"] = 1L << 10, ["k"] = 1L << 10, ["Ki"] = 1L << 10, ["KiB"] = 1L << 10, ["kibibyte"] = 1L << 10, ["kibibytes"] = 1L << 10,
        ["kB"] = 1000, ["kilobyte"] = 1000, ["kilobytes"] = 1000,
        ["M"] = 1L << 20, ["m"] = 1L << 20, ["Mi"] = 1L << 20, ["MiB"] = 1L << 20, ["mebibyte"] = 1L << 20, ["mebibytes"] = 1L << 20,
        ["MB"] = 1_000_000, ["megabyte"] = 1_000_000, ["megabytes"] = 1_000_000,
        ["G"] = 1L << 30, ["g"] = 1L << 30, ["Gi"] = 1L << 30, ["GiB"] = 1L << 30, ["gibibyte"] = 1L << 30, ["gibibytes"] = 1L << 30,
        ["GB"] = 1_000_000_000, ["gigabyte"] = 1_000_000_000, ["gigabytes"] = 1_000_000_000,
        ["T"] = 1L << 40, ["t"] = 1L << 40, ["Ti"] = 1L << 40, ["TiB"] = 1L << 40, ["tebibyte"] = 1L << 40, ["tebibytes"] = 1L << 40,
        ["TB"] = 1_000_000_000_000, ["terabyte"] = 1_000_000_000_000, ["terabytes"] = 1_000_000_000_000,
    };

    [GeneratedRegex(@"^\s*(?<number>[0-9]+(\.[0-9]+)?)\s*(?<unit>[A-Za-z]*)\s*$")]
    private static partial Regex Quantity();

    /// <summary>Reads a duration; <paramref name="problem"/> says what is wrong and what to write instead.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value, out string problem)
    {
        value = default;
        if (!TryQuantity(text, "duration", "30s or 500ms", out var number, out var unit, out problem)) return false;
        if (unit.Length == 0)
        {
            problem = $"\"{text.Trim()}\" has no unit: write {number.ToString(CultureInfo.InvariantCulture)}s for seconds or {number.ToString(CultureInfo.InvariantCulture)}ms for milliseconds";
            return false;
        }
        if (!DurationUnits.TryGetValue(unit, out var milliseconds))
        {
            problem = $"\"{unit}\" is not a unit of time: write ms, s, m, h or d (e.g. 500ms, 30s, 2m)";
            return false;
        }
        var total = number * milliseconds;
        if (total > LongestDuration.TotalMilliseconds)
        {
            problem = $"\"{text.Trim()}\" is longer than a year";
            return false;
        }
        value = TimeSpan.FromTicks((long)Math.Round(total * TimeSpan.TicksPerMillisecond));
        return true;
    }

    /// <summary>Reads a size in bytes; <paramref name="problem"/> says what is wrong and what to write instead.</summary>
    public static bool TryParseSize(string text, out long value, out string problem)
    {
        value = default;
        if (!TryQuantity(text, "size", "8KiB, 32KiB or 30MiB", out var number, out var unit, out problem)) return false;
        if (unit.Length == 0)
        {
            problem = $"\"{text.Trim()}\" has no unit: write {number.ToString(CultureInfo.InvariantCulture)}B for bytes, or e.g. 8KiB or 30MiB";
            return false;
        }
        if (!SizeUnits.TryGetValue(unit, out var factor))
        {
            problem = $"\"{unit}\" is not a unit of size: write B, KiB, MiB or GiB (e.g. 8KiB, 30MiB)";
            return false;
        }
        var bytes = number * factor;
        if (bytes > long.MaxValue / 2)
        {
            problem = $"\"{text.Trim()}\" is too large";
            return false;
        }
        value = (long)Math.Round(bytes);
        return true;
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
