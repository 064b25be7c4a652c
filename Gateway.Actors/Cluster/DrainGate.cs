using Akka.Actor;
using Microsoft.Extensions.Logging;

namespace Gateway.Cluster;

/// <summary>
/// What the drain waits on in a cluster: a slot of the cluster-wide budget. A node keeps serving (and stays ready)
/// while it waits; when only <c>queue-reserve</c> of its deadline is left, or the drain is forced, it drains anyway.
/// </summary>
internal sealed class DrainGate
{
    private readonly IActorRef _slot;
    private readonly ILogger _logger;

    internal DrainGate(IActorRef slot, SlotState state, ILogger logger)
    {
        _slot = slot;
        State = state;
        _logger = logger;
    }

    public SlotState State { get; }

    /// <summary>Waits for a slot until <paramref name="giveUpAt"/> or <paramref name="force"/>; true when one was granted.</summary>
    public async Task<bool> AcquireAsync(DateTimeOffset requestedAt, DateTimeOffset giveUpAt, TimeProvider time, CancellationToken force)
    {
        var granted = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _slot.Tell(new DrainSlot.Acquire(requestedAt, granted));
        var wait = giveUpAt - time.GetUtcNow();
        var started = time.GetTimestamp();
        try
        {
            if (wait > TimeSpan.Zero && await granted.Task.WaitAsync(wait, time, force))
            {
                ClusterLog.SlotAcquired(_logger, time.GetElapsedTime(started).TotalMilliseconds);
                return true;
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        _slot.Tell(DrainSlot.Release.Instance);
        ClusterLog.DrainingWithoutSlot(_logger, time.GetElapsedTime(started).TotalSeconds,
            force.IsCancellationRequested ? "the drain is forced" : "the drain deadline approaches");
        return false;
    }

    /// <summary>The drain is over: the next queued node may drain.</summary>
    public void Release() => _slot.Tell(DrainSlot.Release.Instance);
}
