namespace Gateway.Cluster;

/// <summary>
/// The version of the replicated routes and upstreams in force on this node (0: its own file, never replicated).
/// Only <see cref="RouteReplication"/> advances it; the admin API and the node's status read it.
/// </summary>
internal sealed class RouteVersion
{
    private long _value;

    public long Value => Interlocked.Read(ref _value);

    /// <summary>Moves to <paramref name="version"/>, never back.</summary>
    internal void AdvanceTo(long version)
    {
        var seen = Interlocked.Read(ref _value);
        while (version > seen)
        {
            var before = Interlocked.CompareExchange(ref _value, version, seen);
            if (before == seen) return;
            seen = before;
        }
    }
}
