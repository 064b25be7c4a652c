using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Routing;

/// <summary>
/// The target an upstream request carries: the client's own bytes, never decoded and encoded again (so <c>%2F</c>,
/// <c>%FF</c> and <c>%25</c> arrive as sent), after the one normalisation routing saw too — dot segments removed
/// (RFC 3986 §5.2.4), where <c>%2E</c> counts as a dot, as Kestrel counts it.
/// </summary>
internal static class RequestTarget
{
    // Without this, Uri would unescape %41, escape %ZZ and remove dot segments its own way.
    private static readonly UriCreationOptions Verbatim = new() { DangerousDisablePathAndQueryCanonicalization = true };

    /// <summary>
    /// The upstream's URI: <paramref name="destinationPrefix"/> (which ends with '/') and the client's path and query;
    /// null for a target that has no path (<c>OPTIONS *</c>), which the forwarder builds itself.
    /// </summary>
    public static Uri? For(string destinationPrefix, HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (raw is null || OriginForm(raw) is not { } target) return null;
        var prefix = destinationPrefix.AsSpan();
        if (prefix.EndsWith("/")) prefix = prefix[..^1];
        return new Uri(string.Concat(prefix, WithoutDotSegments(target)), in Verbatim);
    }

    /// <summary>Path and query of an origin-form (<c>/a?b</c>) or absolute-form (<c>http://host/a?b</c>) target.</summary>
    internal static string? OriginForm(string raw)
    {
        if (raw.StartsWith('/')) return raw;
        var scheme = raw.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0) return null;
        var path = raw.AsSpan(scheme + 3).IndexOfAny('/', '?');
        if (path < 0) return "/";
        var rest = raw[(scheme + 3 + path)..];
        return rest.StartsWith('?') ? "/" + rest : rest;
    }

    /// <summary>Removes <c>.</c> and <c>..</c> segments of the path (the query is left alone); returns the same string when there is none.</summary>
    internal static string WithoutDotSegments(string target)
    {
        var queryAt = target.IndexOf('?');
        var path = queryAt < 0 ? target.AsSpan() : target.AsSpan(0, queryAt);
        if (!HasDotSegment(path)) return target;

        var segments = new List<Range>();
        var rest = path[1..];
        var offset = 1;
        while (true)
        {
            var slash = rest.IndexOf('/');
            var length = slash < 0 ? rest.Length : slash;
            var segment = new Range(offset, offset + length);
            var last = slash < 0;
            switch (DotsIn(path[segment]))
            {
                case 1:
                    if (last) segments.Add(new Range(offset, offset)); // "/a/." is "/a/"
                    break;
                case 2:
                    if (segments.Count > 0) segments.RemoveAt(segments.Count - 1);
                    if (last) segments.Add(new Range(offset, offset));
                    break;
                default:
                    segments.Add(segment);
                    break;
            }
            if (last) break;
            rest = rest[(slash + 1)..];
            offset += length + 1;
        }

        var builder = new System.Text.StringBuilder(target.Length);
        foreach (var segment in segments) builder.Append('/').Append(path[segment]);
        if (segments.Count == 0) builder.Append('/');
        if (queryAt >= 0) builder.Append(target.AsSpan(queryAt));
        return builder.ToString();
    }

    /// <summary>Whether some segment of the path is a dot segment (the common path has none and is returned as is).</summary>
    private static bool HasDotSegment(ReadOnlySpan<char> path)
    {
        var start = 1;
        for (var i = 1; i <= path.Length; i++)
        {
            if (i < path.Length && path[i] != '/') continue;
            if (DotsIn(path[start..i]) > 0) return true;
            start = i + 1;
        }
        return false;
    }

    /// <summary>1 for a segment that is ".", 2 for "..", where "%2E" (either case) is a dot; 0 otherwise.</summary>
    private static int DotsIn(ReadOnlySpan<char> segment)
    {
        var dots = 0;
        while (!segment.IsEmpty)
        {
            if (segment[0] == '.') segment = segment[1..];
            else if (segment.Length >= 3 && segment.StartsWith("%2e", StringComparison.OrdinalIgnoreCase)) segment = segment[3..];
            else return 0;
            if (++dots > 2) return 0;
        }
        return dots;
    }
}
