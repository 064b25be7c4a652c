using Akka.Actor;
using Gateway.Hosting;
using Gateway.Upstreams;

namespace Gateway.Host.Admin;

/// <summary>
/// The admin API of upstream endpoints: <c>GET /upstreams</c> (every endpoint's state and counters, and on a cluster
/// each node's view), <c>POST /upstreams/NAME/drain?endpoint=host:port</c> and <c>…/undrain</c> (on every node of a
/// cluster, or <c>scope=node</c> for this one).
/// </summary>
internal static class UpstreamEndpoints
{
    public static WebApplication MapUpstreams(this WebApplication app, GatewayRuntime runtime)
    {
        app.MapGet("/upstreams", async () => Results.Json(await ReportAsync(runtime)));
        app.MapPost("/upstreams/{name}/drain", (string name, string? endpoint, string? scope) => ChangeAsync(runtime, name, endpoint, scope, drain: true));
        app.MapPost("/upstreams/{name}/undrain", (string name, string? endpoint, string? scope) => ChangeAsync(runtime, name, endpoint, scope, drain: false));
        return app;
    }

    private static async Task<object> ReportAsync(GatewayRuntime runtime)
    {
        var upstreams = runtime.Upstreams.Select(UpstreamReport.Of).ToList();
        if (runtime.Cluster is not { } cluster) return new { node = (string?)null, upstreams };
        var view = await cluster.ViewAsync(TimeSpan.FromSeconds(3));
        return new
        {
            node = cluster.SelfAddress,
            upstreams,
            nodes = view?.Members.Select(m => new { address = m.Address, self = m.Self, status = m.Status, upstreams = m.Upstreams }),
        };
    }

    private static async Task<IResult> ChangeAsync(GatewayRuntime runtime, string name, string? endpoint, string? scope, bool drain)
    {
        var handles = runtime.Upstreams.Where(u => u.Name == name).ToList();
        if (handles.Count == 0)
            return Results.Json(new { result = "UnknownUpstream", upstream = name, known = runtime.Upstreams.Select(u => u.Name) }, statusCode: StatusCodes.Status404NotFound);
        if (string.IsNullOrWhiteSpace(endpoint))
            return Results.Json(new { result = "MissingEndpoint", reason = $"name the endpoint: ?endpoint=host:port (one of {Known(handles)})" }, statusCode: StatusCodes.Status400BadRequest);
        if (scope is not (null or "node" or "cluster"))
            return Results.Json(new { result = "BadScope", reason = "scope is node (this node only) or cluster (every node, the default on a cluster)" }, statusCode: StatusCodes.Status400BadRequest);
        // The name as configured (host:port) when it is one; one resolved address of a DNS name otherwise.
        var matched = handles.SelectMany(h => h.Endpoints.Named(endpoint)).ToList();
        if (matched.Count == 0)
            return Results.Json(new { result = "UnknownEndpoint", upstream = name, endpoint, known = Known(handles) }, statusCode: StatusCodes.Status404NotFound);
        var key = new EndpointKey(name, matched.Any(e => string.Equals(e.Name, endpoint, StringComparison.OrdinalIgnoreCase)) ? matched[0].Name
            : matched.Any(e => string.Equals(e.Address, endpoint, StringComparison.OrdinalIgnoreCase)) ? matched[0].Address : matched[0].Name);

        var clusterWide = runtime.Cluster is not null && scope != "node";
        if (clusterWide)
        {
            await runtime.Cluster!.ReplicateEndpointDrainAsync(key, drain);
            if (!drain) runtime.EndpointDrains.SetLocal(key, drained: false);
        }
        else
        {
            runtime.EndpointDrains.SetLocal(key, drain);
            if (!drain && runtime.EndpointDrains.Replicated.Contains(key))
                return Results.Json(new { result = "DrainedByCluster", upstream = name, endpoint = key.Endpoint,
                    reason = "the cluster's drain holds it: undrain without scope=node" }, statusCode: StatusCodes.Status409Conflict);
        }
        // Answer with the state the upstream's actor set, not the one before it took the change.
        foreach (var handle in handles.Where(h => !h.Owner.IsNobody()))
        {
            try
            {
                await handle.Owner.Ask<EndpointProtocol.Synced>(EndpointProtocol.Sync.Instance, TimeSpan.FromSeconds(3));
            }
            catch (AskTimeoutException)
            {
                // The upstream is stopping (the gateway drains): report what its endpoints say now.
            }
        }
        var endpoints = handles.SelectMany(h => UpstreamReport.Of(h).Endpoints).Where(e => matched.Any(m => m.Address == e.Address)).ToList();
        return Results.Json(new
        {
            result = drain ? (endpoints.All(e => e.State == "drained") ? "Drained" : "Draining") : "Undrained",
            upstream = name,
            endpoint = key.Endpoint,
            scope = clusterWide ? "cluster" : "node",
            endpoints,
        }, statusCode: drain ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    private static string Known(IEnumerable<UpstreamHandle> handles) =>
        string.Join(", ", handles.SelectMany(h => h.Endpoints.All).Select(e => e.Name).Distinct());
}
