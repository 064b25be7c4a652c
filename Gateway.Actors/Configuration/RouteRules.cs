using System.Text.RegularExpressions;

namespace Gateway.Configuration;

/// <summary>
/// Routes that could never match a request: a prefix that no decoded request path holds (a query, a fragment, a
/// percent escape, a dot segment), a host written with a port or a wildcard, and a route with the same listener, host
/// and prefix as one before it (the first always wins).
/// </summary>
internal static partial class RouteRules
{
    /// <summary>Why no request path could start with <paramref name="prefix"/>, or null.</summary>
    public static string? PrefixProblem(string prefix)
    {
        if (!prefix.StartsWith('/'))
            return $"\"{prefix}\" must start with /";
        if (prefix.IndexOfAny(['?', '#']) is var query and >= 0)
            return $"\"{prefix}\" holds `{prefix[query]}`: a query or fragment is never part of the path a route matches; write the path alone, e.g. \"{prefix[..query]}\"";
        if (prefix.Contains('%'))
            return $"\"{prefix}\" holds a percent escape: paths are matched decoded (and %2F is not supported), so write the characters themselves";
        if (prefix.Split('/').Any(segment => segment is "." or ".."))
            return $"\"{prefix}\" holds a `.` or `..` segment: request paths arrive with those resolved, so it never matches";
        if (prefix.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            return $"\"{prefix}\" holds a space or control character: no request path holds one";
        if (prefix.Contains('*'))
            return $"\"{prefix}\" holds `*`: a prefix matches whole path segments without wildcards (\"/api\" matches /api and /api/x)";
        return null;
    }

    /// <summary>Why no request could carry <paramref name="host"/>, or null.</summary>
    public static string? HostProblem(string host)
    {
        if (host.Contains("://", StringComparison.Ordinal) || host.Contains('/'))
            return $"\"{host}\" is not a host name: write the name alone, e.g. \"example.test\"";
        if (host.Contains('*'))
            return $"\"{host}\" has a wildcard: a route matches one host name exactly; write one route per host";
        if (Port().IsMatch(host))
            return $"\"{host}\" has a port: the host is matched without its port; write \"{Port().Replace(host, "")}\" (a listener per port chooses by port)";
        if (!HostName().IsMatch(host))
            return $"\"{host}\" is not a host name: write e.g. \"example.test\" or \"[::1]\"";
        return null;
    }

    /// <summary>For each route after the first with the same listener, host and prefix: its name and the first's.</summary>
    public static IEnumerable<(string Route, string First)> Shadowed(IEnumerable<RouteSettings> routes)
    {
        var seen = new Dictionary<(string, string?, string), string>();
        foreach (var route in routes)
        {
            var match = (route.Listener, route.Host?.ToLowerInvariant(), route.PathPrefix.TrimEnd('/'));
            if (seen.TryGetValue(match, out var first)) yield return (route.Name, first);
            else seen[match] = route.Name;
        }
    }

    [GeneratedRegex(@":\d*$")]
    private static partial Regex Port();

    [GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*)$")]
    private static partial Regex HostName();
}
