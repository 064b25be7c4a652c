namespace Gateway.Configuration.Hocon;

/// <summary>
/// Key paths as errors print them: segments joined by dots, a segment that holds a dot (or anything unquoted text
/// may not) in double quotes, e.g. <c>gateway.listeners.web.tls.sni."api.example.test"</c>.
/// </summary>
internal static class KeyPath
{
    public static string Join(IEnumerable<string> segments) => string.Join('.', segments.Select(Segment));

    public static string Join(string prefix, string segment) => prefix.Length == 0 ? Segment(segment) : $"{prefix}.{Segment(segment)}";

    private static string Segment(string segment) =>
        segment.Length > 0 && !segment.Any(c => c is '.' or '"' or '\\' || char.IsWhiteSpace(c) || char.IsControl(c))
            ? segment
            : "\"" + segment.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>The path without its last segment, or null for a single segment; quoted segments are kept whole.</summary>
    public static string? Parent(string key)
    {
        var quoted = false;
        for (var i = key.Length - 1; i >= 0; i--)
        {
            if (key[i] == '"' && (i == 0 || key[i - 1] != '\\')) quoted = !quoted;
            else if (key[i] == '.' && !quoted) return key[..i];
        }
        return null;
    }
}
