namespace Gateway.Hosting;

/// <summary>What a reload changed, for the log and the caller: every listener, upstream and route added, removed or
/// changed, the listeners it re-opened, and the keys that wait for a restart.</summary>
internal sealed record ReloadReport(
    IReadOnlyList<string> AddedListeners,
    IReadOnlyList<string> RemovedListeners,
    IReadOnlyList<string> ChangedUpstreams,
    IReadOnlyList<string> Ignored)
{
    public IReadOnlyList<string> ChangedListeners { get; init; } = [];
    public IReadOnlyList<string> ReopenedListeners { get; init; } = [];
    public IReadOnlyList<string> AddedUpstreams { get; init; } = [];
    public IReadOnlyList<string> RemovedUpstreams { get; init; } = [];
    public IReadOnlyList<string> AddedRoutes { get; init; } = [];
    public IReadOnlyList<string> RemovedRoutes { get; init; } = [];
    public IReadOnlyList<string> ChangedRoutes { get; init; } = [];

    public override string ToString()
    {
        static string L(IReadOnlyList<string> names) => $"[{string.Join(", ", names)}]";
        var text = $"listeners +{L(AddedListeners)} -{L(RemovedListeners)} changed {L(ChangedListeners)} re-opened {L(ReopenedListeners)}; " +
                   $"upstreams +{L(AddedUpstreams)} -{L(RemovedUpstreams)} replaced {L(ChangedUpstreams)}; " +
                   $"routes +{L(AddedRoutes)} -{L(RemovedRoutes)} changed {L(ChangedRoutes)}";
        return Ignored.Count == 0 ? text : $"{text}; needs a restart: {string.Join("; ", Ignored)}";
    }
}
