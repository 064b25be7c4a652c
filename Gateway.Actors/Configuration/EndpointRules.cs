namespace Gateway.Configuration;

/// <summary>What an upstream endpoint may not hold: the gateway would drop it without a word, or could never connect.</summary>
internal static class EndpointRules
{
    /// <summary>Why <paramref name="endpoint"/> (parsed from <paramref name="text"/>) cannot be used as written, or null.</summary>
    public static string? Problem(string text, Uri endpoint)
    {
        var bare = $"{(text.Contains("://", StringComparison.Ordinal) ? endpoint.Scheme + "://" : "")}{endpoint.Authority}";
        if (endpoint.UserInfo.Length > 0)
            return $"\"{text}\" holds credentials: an endpoint carries none (they would not be sent); write \"{bare}\"";
        if (endpoint.Query.Length > 0 || endpoint.Fragment.Length > 0 || text.Contains('?') || text.Contains('#'))
            return $"\"{text}\" holds a query or fragment, which would be dropped: write \"{bare}\"";
        if (endpoint.AbsolutePath != "/")
            return $"\"{text}\" holds a path: the request's own path is forwarded as it came; write \"{bare}\"";
        if (endpoint.Port == 0)
            return $"\"{text}\": port 0 cannot be connected to; write the upstream's port";
        // h2c has no default port (http:// and https:// have 80 and 443).
        if (endpoint.Port < 0)
            return $"\"{text}\" names no port: write {endpoint.Scheme}://host:port";
        return null;
    }
}
