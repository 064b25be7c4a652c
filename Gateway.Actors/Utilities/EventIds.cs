namespace Gateway;

/// <summary>The gateway's log event ids, in one place so that they stay unique and greppable.</summary>
internal static class EventIds
{
    public const int ConfigLoaded = 1;
    public const int ListenerBound = 2;
    public const int ConfigNote = 3;
    public const int AdminBound = 4;
    public const int SocketThreads = 5;
    public const int GatewayReady = 6;
    public const int GatewayStopped = 7;
    public const int ForwardFailed = 10;
    public const int ForwardFailedDetail = 16;
    public const int EndpointEjected = 11;
    public const int Retried = 12;
    public const int NotRetried = 13;
    public const int EndpointDrainPublished = 14;
    public const int EndpointDrainsApplied = 15;
    public const int ShutdownSignal = 20;
    public const int SecondSignal = 21;
    public const int PhaseStarted = 22;
    public const int PhaseEnded = 23;
    public const int DrainFinished = 24;
    public const int ListenerSummary = 25;
    public const int DrainStopAccepting = 26;
    public const int DrainTransition = 27;
    public const int DrainTakenBack = 28;
    public const int HandoffListening = 30;
    public const int HandoffPathTaken = 31;
    public const int HandoffAborted = 32;
    public const int HandedOver = 33;
    public const int HotRestartWithoutPredecessor = 34;
    public const int HotRestartServing = 35;
    public const int ReloadRejected = 40;
    public const int Reloaded = 41;
    public const int AccessLogDropped = 45;
    public const int AdminDrain = 50;
    public const int AdminUndrain = 51;
    public const int CertificateInService = 60;
    public const int CertificateRotated = 61;
    public const int CertificateRejected = 62;
    public const int UpstreamTlsUnverified = 63;
    public const int ClusterJoined = 80;
    public const int DrainQueued = 81;
    public const int DrainSlotAcquired = 82;
    public const int DrainWithoutSlot = 83;
    public const int DrainSlotGranted = 84;
    public const int DrainSlotReleased = 85;
    public const int DrainBudgetReady = 86;
    public const int RoutesPublished = 87;
    public const int RoutesApplied = 88;
    public const int RoutesRejected = 89;
    public const int ClusterLeaving = 90;
    public const int ClusterMemberEvent = 91;
    public const int DrainDowned = 92;
}
