namespace Gateway.Cluster;

/// <summary>
/// The cluster-wide drain budget: a node asks for a slot before it drains and gives it back when its drain is over.
/// Nodes are named by their Akka address (a string, so the messages cross the wire with the default serializer).
/// </summary>
internal static class DrainBudgetProtocol
{
    /// <summary>Node → budget (retried every second until granted): may I drain? Answered with granted or queued.</summary>
    public sealed record RequestSlot(string Node, DateTimeOffset RequestedAt)
    {
        public override string ToString() => $"RequestSlot({Node}, requested {RequestedAt:HH:mm:ss.fff})";
    }

    /// <summary>Budget → node: drain now; the slot is yours until you release it or your node is gone.</summary>
    public sealed record SlotGranted(string Node)
    {
        public override string ToString() => $"SlotGranted({Node})";
    }

    /// <summary>Budget → node: every slot is taken; you are number <paramref name="Position"/> in the queue.</summary>
    public sealed record SlotQueued(string Node, int Position, IReadOnlyList<string> Draining)
    {
        public override string ToString() => $"SlotQueued({Node}, position {Position}, draining [{string.Join(", ", Draining)}])";
    }

    /// <summary>
    /// Node → budget, every second while it holds a slot: a budget that just took over (its singleton moved)
    /// learns who drains before it grants anything.
    /// </summary>
    public sealed record HoldingSlot(string Node)
    {
        public override string ToString() => $"HoldingSlot({Node})";
    }

    /// <summary>Node → budget: my drain is over (or I no longer wait); the slot goes to the next in the queue.</summary>
    public sealed record ReleaseSlot(string Node)
    {
        public override string ToString() => $"ReleaseSlot({Node})";
    }
}
