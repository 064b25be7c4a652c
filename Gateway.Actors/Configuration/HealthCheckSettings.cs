namespace Gateway.Configuration;

/// <summary>
/// Active health checks of an upstream's endpoints: every <see cref="Interval"/> each endpoint is asked
/// <c>GET <see cref="Path"/></c>; an answer whose status is in <see cref="Expect"/> within <see cref="Timeout"/> passes.
/// With <see cref="HealthCheckProtocol.Grpc"/> each (h2c://) endpoint is called <c>grpc.health.v1.Health/Check</c>
/// for <see cref="Service"/> instead, and passes when it answers <c>SERVING</c>.
/// </summary>
/// <param name="UnhealthyAfter">Failed checks in a row that take an endpoint out of rotation.</param>
/// <param name="HealthyAfter">Passed checks in a row that bring it back (with the upstream's slow start).</param>
/// <param name="Expect">Accepted statuses as written, e.g. <c>"200-399"</c> or <c>"200, 204"</c>.</param>
/// <param name="Service">The service a gRPC check asks about; empty: the server as a whole.</param>
public sealed record HealthCheckSettings(string Path, TimeSpan Interval, TimeSpan Timeout, int UnhealthyAfter, int HealthyAfter, string Expect,
    HealthCheckProtocol Protocol = HealthCheckProtocol.Http, string Service = "")
{
    /// <summary>The method a gRPC check calls (it is its <see cref="Path"/>).</summary>
    public const string GrpcHealthPath = "/grpc.health.v1.Health/Check";

    /// <summary>Whether a check answered with <paramref name="status"/> passes (parsed per check: once a second, not per request).</summary>
    public bool Accepts(int status)
    {
        foreach (var (from, to) in StatusRanges.Parse(Expect) ?? [(200, 399)])
            if (status >= from && status <= to) return true;
        return false;
    }
}

/// <summary>How an endpoint is checked: <c>protocol = http</c> (the default) or <c>protocol = grpc</c>.</summary>
public enum HealthCheckProtocol
{
    /// <summary><c>GET path</c>; passes on a status in <c>expect</c>.</summary>
    Http,
    /// <summary>The gRPC health protocol (<c>grpc.health.v1.Health/Check</c>); passes on <c>SERVING</c>.</summary>
    Grpc,
}

/// <summary>Status lists as an operator writes them: <c>"200-399"</c>, <c>"200, 204, 300-302"</c>.</summary>
public static class StatusRanges
{
    /// <summary>The ranges of <paramref name="text"/>, or null when it is not a list of statuses (100–599) and ranges.</summary>
    public static IReadOnlyList<(int From, int To)>? Parse(string text)
    {
        var ranges = new List<(int, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !int.TryParse(bounds[0], out var from)) return null;
            var to = from;
            if (bounds.Length == 2 && !int.TryParse(bounds[1], out to)) return null;
            if (from is < 100 or > 599 || to is < 100 or > 599 || to < from) return null;
            ranges.Add((from, to));
        }
        return ranges.Count == 0 ? null : ranges;
    }
}
