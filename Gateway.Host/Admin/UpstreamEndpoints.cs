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
        app.MapGet("/upstreams", () => ReportAsync(runtime));
        app.MapPost("/upstreams/{name}/drain", (string name, string? endpoint, string? scope) => ChangeAsync(runtime, name, endpoint, scope, drain: true));
        app.MapPost("/upstreams/{name}/undrain", (string name, string? endpoint, string? scope) => ChangeAsync(runtime, name, endpoint, scope, drain: false));
        return app;
    }

    private static async Task<IResult> ReportAsync(GatewayRuntime runtime)
    {
        var upstreams = runtime.Upstreams.Select(UpstreamReport.Of).ToList();
        if (runtime.Cluster is not { } cluster) return Results.Json(new UpstreamsReport(null, upstreams), AdminJson.Default.UpstreamsReport);
        var view = await cluster.ViewAsync(TimeSpan.FromSeconds(3));
        return Results.Json(new ClusterUpstreamsReport(cluster.SelfAddress, upstreams,
            view?.Members.Select(m => new NodeUpstreams(m.Address, m.Self, m.Status, m.Upstreams)).ToList()), AdminJson.Default.ClusterUpstreamsReport);
    }

    private static async Task<IResult> ChangeAsync(GatewayRuntime runtime, string name, string? endpoint, string? scope, bool drain)
    {
        var handles = runtime.Upstreams.Where(u => u.Name == name).ToList();
        if (handles.Count == 0)
            return Results.Json(new UnknownUpstreamAnswer("UnknownUpstream", name, [.. runtime.Upstreams.Select(u => u.Name)]), AdminJson.Default.UnknownUpstreamAnswer,
                statusCode: StatusCodes.Status404NotFound);
        if (string.IsNullOrWhiteSpace(endpoint))
            return Refused(new EndpointRefusal("MissingEndpoint", Reason: $"name the endpoint: ?endpoint=host:port (one of {Known(handles)})"), StatusCodes.Status400BadRequest);
        if (scope is not (null or "node" or "cluster"))
            return Refused(new EndpointRefusal("BadScope", Reason: "scope is node (this node only) or cluster (every node, the default on a cluster)"), StatusCodes.Status400BadRequest);
        // The name as configured (host:port) when it is one; one resolved address of a DNS name otherwise.
        var matched = handles.SelectMany(h => h.Endpoints.Named(endpoint)).ToList();
        if (matched.Count == 0)
            return Refused(new EndpointRefusal("UnknownEndpoint", name, endpoint, Known(handles)), StatusCodes.Status404NotFound);
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
                return Refused(new EndpointRefusal("DrainedByCluster", name, key.Endpoint, Reason: "the cluster's drain holds it: undrain without scope=node"),
                    StatusCodes.Status409Conflict);
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
        return Results.Json(new EndpointChangeAnswer(
            drain ? (endpoints.All(e => e.State == "drained") ? "Drained" : "Draining") : "Undrained",
            name,
            key.Endpoint,
            clusterWide ? "cluster" : "node",
            endpoints), AdminJson.Default.EndpointChangeAnswer, statusCode: drain ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
    }

    private static IResult Refused(EndpointRefusal refusal, int status) => Results.Json(refusal, AdminJson.Default.EndpointRefusal, statusCode: status);

    private static string Known(IEnumerable<UpstreamHandle> handles) =>
        string.Join(", ", handles.SelectMany(h => h.Endpoints.All).Select(e => e.Name).Distinct());
}
