using System.Text.Json;
using Gateway.Hosting;
using Gateway.Lifecycle;

namespace Gateway.Cluster;

/// <summary>What one node says about itself in the cluster view (replicated, so any node's GET /cluster shows it).</summary>
/// <param name="Upstreams">Each endpoint's state on this node, by upstream (<c>GET /upstreams</c> on any node shows every node's).</param>
public sealed record NodeStatus(string Drain, string Phase, int Generation, long ConfigVersion, string Admin, int Pid,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? Upstreams = null)
{
    /// <summary>This node now: serving, queued (waiting for a drain slot, still serving and ready), draining or drained.</summary>
    internal static NodeStatus Of(GatewayRuntime runtime, SlotState slot)
    {
        var phase = runtime.State.Phase;
        var drain = phase switch
        {
            GatewayPhase.Serving when slot.Status is SlotStatus.Requested or SlotStatus.Queued => "queued",
            GatewayPhase.Serving => "serving",
            GatewayPhase.Drained or GatewayPhase.Exiting => "drained",
            _ => "draining",
        };
        return new NodeStatus(drain, phase.ToString(), runtime.Generation, runtime.ConfigVersion,
            runtime.Listeners.Admin.Address.ToString(), Environment.ProcessId, EndpointStates(runtime));
    }

    /// <summary>States only, no counters: the status is written again only when one of them changes.</summary>
    private static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> EndpointStates(GatewayRuntime runtime) =>
        runtime.Upstreams.ToDictionary(u => u.Name, u =>
        {
            var now = u.Endpoints.Now;
            return (IReadOnlyDictionary<string, string>)new SortedDictionary<string, string>(
                u.Endpoints.All.GroupBy(e => e.Address).ToDictionary(g => g.Key, g => Gateway.Upstreams.EndpointStateNames.Of(g.First().StateAt(now))), StringComparer.Ordinal);
        });

    public string ToJson() => JsonSerializer.Serialize(this);

    public static NodeStatus? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<NodeStatus>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
