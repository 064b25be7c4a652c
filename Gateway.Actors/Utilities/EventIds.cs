namespace Gateway;

/// <summary>The gateway's log event ids, in one place so that they stay unique and greppable.</summary>
internal static class EventIds
{
    public const int ConfigLoaded = 1;
    public const int ListenerBound = 2;
    public const int ForwardFailed = 10;
    public const int ShutdownSignal = 20;
    public const int SecondSignal = 21;
    public const int PhaseStarted = 22;
    public const int PhaseEnded = 23;
    public const int DrainFinished = 24;
    public const int ListenerSummary = 25;
    public const int ReloadRejected = 40;
    public const int Reloaded = 41;
    public const int AccessLogDropped = 45;
    public const int AdminDrain = 50;
    public const int AdminUndrain = 51;
    public const int AdminDrainFinished = 52;
    public const int ClusterJoined = 60;
    public const int DrainQueued = 61;
    public const int DrainSlotAcquired = 62;
    public const int DrainWithoutSlot = 63;
    public const int DrainSlotGranted = 64;
    public const int DrainSlotReleased = 65;
    public const int DrainBudgetReady = 66;
    public const int RoutesPublished = 67;
    public const int RoutesApplied = 68;
    public const int RoutesRejected = 69;
    public const int ClusterLeaving = 70;
    public const int ClusterMemberEvent = 71;
    public const int DrainDowned = 72;
}
