using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Configuration;

namespace Gateway.Cluster;

/// <summary>
/// The routes and upstreams one node applied, as the cluster replicates them: versioned (the highest version wins
/// everywhere), with the node it came from. Listeners are not in it: their addresses stay per node.
/// </summary>
internal sealed record ReplicatedRoutes(
    long Version,
    string Origin,
    DateTimeOffset PublishedAt,
    IReadOnlyList<RouteSettings> Routes,
    IReadOnlyList<UpstreamSettings> Upstreams)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The replicated form: a JSON string, so that the replicator carries a plain string register.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static ReplicatedRoutes? FromJson(string json) =>
        string.IsNullOrEmpty(json) ? null : JsonSerializer.Deserialize<ReplicatedRoutes>(json, Json);

    /// <summary>
    /// This node's settings with the replicated routes and upstreams; a route for a listener this node does not
    /// have is left out (named in <paramref name="skipped"/>).
    /// </summary>
    public GatewaySettings ApplyTo(GatewaySettings local, out IReadOnlyList<string> skipped)
    {
        var listeners = local.Listeners.Select(l => l.Name).ToHashSet();
        skipped = Routes.Where(r => !listeners.Contains(r.Listener)).Select(r => $"{r.Name} (no listener {r.Listener} here)").ToList();
        return local with
        {
            Routes = Routes.Where(r => listeners.Contains(r.Listener)).ToList(),
            Upstreams = Upstreams,
        };
    }

    public override string ToString() => $"ReplicatedRoutes(v{Version} from {Origin}, {Routes.Count} route(s), {Upstreams.Count} upstream(s))";
}
