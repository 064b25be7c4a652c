namespace Gateway.Lifecycle;

/// <summary>What a <see cref="DrainDriver"/> needs from the world around the tree; every member may be left out.</summary>
internal sealed record DrainHooks
{
    public static readonly DrainHooks None = new();

    /// <summary>Waits for a slot of the cluster's drain budget (true: granted, false: gave up or forced); null alone.</summary>
    public Func<DateTimeOffset, CancellationToken, Task<bool>>? AcquireSlot { get; init; }

    /// <summary>Gives the slot back once the drain is over.</summary>
    public Action? ReleaseSlot { get; init; }

    /// <summary>Whether a listener of this name exists (a listener's drain is refused otherwise).</summary>
    public Func<string, bool> ListenerExists { get; init; } = _ => true;

    /// <summary>The mirror in which a listener's own drain is shown.</summary>
    public Func<string, GatewayState>? ListenerState { get; init; }
}
