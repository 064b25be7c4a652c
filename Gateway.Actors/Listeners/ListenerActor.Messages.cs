using Akka.Actor;
using Gateway.Connections;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Listeners;

/// <summary>What a listener actor is told: by Kestrel (a connection), and by itself (its port's tasks, its timers).</summary>
internal sealed partial class ListenerActor
{
    /// <summary>Kestrel accepted a connection on this listener.</summary>
    public sealed record ConnectionOpened(IConnectionPort Connection)
    {
        public override string ToString() => $"ConnectionOpened({Connection.Id})";
    }

    private sealed record Unbound(Exception? Error);

    private sealed record Reopened(Exception? Error);

    private sealed record Settled
    {
        public static readonly Settled Instance = new();
    }

    /// <summary>Timer message: the drain deadline has come for every connection (one timer, not one per connection).</summary>
    private sealed record ConnectionsDeadline
    {
        public static readonly ConnectionsDeadline Instance = new();
        public override string ToString() => "ConnectionsDeadline";
    }
}
