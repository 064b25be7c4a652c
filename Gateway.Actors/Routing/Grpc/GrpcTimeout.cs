using System.Globalization;

namespace Gateway.Routing.Grpc;

/// <summary>
/// The <c>grpc-timeout</c> header: at most 8 digits and a unit (H hours, M minutes, S seconds, m milliseconds,
/// u microseconds, n nanoseconds). A malformed value is ignored, as gRPC servers ignore it.
/// </summary>
internal static class GrpcTimeout
{
    public static TimeSpan? Parse(string? value)
    {
        if (value is not { Length: >= 2 and <= 9 }) return null;
        if (!long.TryParse(value.AsSpan(0, value.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)) return null;
        return value[^1] switch
        {
            'H' => TimeSpan.FromHours(amount),
            'M' => TimeSpan.FromMinutes(amount),
            'S' => TimeSpan.FromSeconds(amount),
            'm' => TimeSpan.FromMilliseconds(amount),
            'u' => TimeSpan.FromMicroseconds(amount),
            'n' => TimeSpan.FromTicks(amount / 100),
            _ => null,
        };
    }
}
