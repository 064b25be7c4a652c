namespace Gateway.Configuration;

/// <summary>The keys the gateway knows under <c>gateway</c>; anything else is refused with the nearest known key.</summary>
internal static class ConfigSchema
{
    /// <summary>Keys of a node; a value of <see cref="Named"/> means "any name, each an object of this shape".</summary>
    internal sealed record Node(IReadOnlyDictionary<string, Node?> Keys, Node? Named = null);

    private static Node Leafs(params string[] keys) => new(keys.ToDictionary(k => k, _ => (Node?)null));

    private static readonly Node CertificatePair = Leafs("certificate", "key");

    private static readonly Node Listener = new(new Dictionary<string, Node?>
    {
        ["address"] = null,
        ["protocol"] = null,
        ["idle-timeout"] = null,
        ["limits"] = Leafs([.. LimitSettings.Keys]),
        ["tls"] = new(new Dictionary<string, Node?>
        {
            ["certificate"] = null,
            ["key"] = null,
            ["min-version"] = null,
            ["unknown-sni"] = null,
            ["sni"] = new(new Dictionary<string, Node?>(), CertificatePair),
        }),
    });

    private static readonly Node Route = new(new Dictionary<string, Node?>
    {
        ["listener"] = null,
        ["path-prefix"] = null,
        ["host"] = null,
        ["upstream"] = null,
        ["direct-response"] = Leafs("status", "body"),
        ["redirect-https"] = null,
        ["redirect-https-port"] = null,
        ["streams"] = Leafs("on-drain", "grace", "sse-retry"),
        ["forwarded-headers"] = null,
        ["trusted-proxies"] = null,
        ["preserve-host"] = null,
    });

    private static readonly Node Upstream = new(new Dictionary<string, Node?>
    {
        ["endpoints"] = null,
        ["connect-timeout"] = null,
        ["response-timeout"] = null,
        ["eject-for"] = null,
        ["tls"] = Leafs("ca", "client-certificate", "client-key", "verify"),
        ["eject-after-5xx"] = null,
        ["health-check"] = Leafs("path", "interval", "timeout", "unhealthy-after", "healthy-after", "expect", "protocol", "service"),
        ["slow-start"] = null,
        ["retries"] = null,
        ["retry-buffer"] = null,
        ["retry-budget"] = null,
        ["dns-refresh"] = null,
    });

    /// <summary>The shape of <c>gateway { … }</c>.</summary>
    public static readonly Node Gateway = new(new Dictionary<string, Node?>
    {
        ["listeners"] = new(new Dictionary<string, Node?>(), Listener),
        ["routes"] = new(new Dictionary<string, Node?>(), Route),
        ["upstreams"] = new(new Dictionary<string, Node?>(), Upstream),
        ["admin"] = Leafs("address", "token"),
        ["drain"] = Leafs("announce", "deadline", "idle-quiet", "close-spread", "goaway-ack-timeout"),
        ["hot-restart"] = Leafs("socket"),
        ["log"] = Leafs("format"),
        ["io-threads"] = null,
        ["via-name"] = null,
        ["access-log"] = Leafs("path", "buffer"),
        ["cluster"] = Leafs("enabled", "hostname", "port", "seed-nodes", "max-draining", "queue-reserve", "down-unreachable-after"),
        ["limits"] = Leafs([.. LimitSettings.Keys]),
    });

    /// <summary>The known key closest to <paramref name="unknown"/> (edit distance), or null when none is close.</summary>
    public static string? Nearest(string unknown, IEnumerable<string> known)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var d = EditDistance(unknown, candidate);
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.Max(2, unknown.Length / 3) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
