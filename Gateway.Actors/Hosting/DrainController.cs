using Akka.Actor;
using Gateway.Lifecycle;
using Microsoft.Extensions.Logging;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Hosting;

/// <summary>What an operator's drain request came to.</summary>
public enum DrainRequestResult
{
    /// <summary>The drain began.</summary>
    Started,
    /// <summary>A drain (or shutdown) is already under way; nothing changed.</summary>
    AlreadyDraining,
    /// <summary>No listener has that name.</summary>
    UnknownListener,
}

/// <summary>
/// Drains without exiting, for operators (the admin API): the same timeline as a shutdown — announce, stop
/// accepting, finish in-flight work, force at the deadline — but the process stays up, answering /ready with 503.
/// Within the announce window the drain can be taken back.
/// </summary>
public sealed partial class DrainController(GatewayRuntime runtime, ILogger<DrainController> logger)
{
    private CancellationTokenSource _undrain = new();

    // A drain's start (announce) and its undrain (resume) reach the tree in the order they were decided.
    private readonly Lock _gate = new();

    /// <summary>Drains the whole gateway; the process stays up.</summary>
    public DrainRequestResult DrainAll()
    {
        var state = runtime.State;
        if (runtime.Cluster is { } cluster) return DrainInCluster(cluster);
        if (Begin() is not { } undrain) return DrainRequestResult.AlreadyDraining;
        Log.AdminDrain(logger, "all listeners");
        _ = Task.Run(() => RunAsync(undrain));
        return DrainRequestResult.Started;
    }

    /// <summary>In a cluster the drain waits for a slot of the drain budget first (serving and ready meanwhile).</summary>
    private DrainRequestResult DrainInCluster(Gateway.Cluster.GatewayCluster cluster)
    {
        var state = runtime.State;
        if (!state.Ready || state.DrainRequestedAt is not null) return DrainRequestResult.AlreadyDraining;
        var requested = state.RequestDrain();
        Log.AdminDrain(logger, "all listeners, within the cluster's drain budget");
        _ = Task.Run(async () =>
        {
            var giveUp = requested + runtime.Settings.Drain.Deadline - runtime.Settings.Cluster.QueueReserve;
            await cluster.Gate.AcquireAsync(requested, giveUp, state.Time, state.ForceToken);
            // A shutdown that began meanwhile drains with the same slot and gives it back when it is done.
            if (Begin() is not { } undrain) return;
            try
            {
                await RunAsync(undrain);
            }
            finally
            {
                cluster.Gate.Release();
            }
        });
        return DrainRequestResult.Started;
    }

    /// <summary>Drains one listener: it stops accepting and its connections finish; the others go on serving.</summary>
    public DrainRequestResult DrainListener(string name)
    {
        var listener = runtime.Listeners.All.FirstOrDefault(l => l.Name == name);
        if (listener is null) return DrainRequestResult.UnknownListener;
        if (!listener.Accepting) return DrainRequestResult.AlreadyDraining;
        Log.AdminDrain(logger, $"listener {name}");
        var deadline = runtime.State.Time.GetUtcNow() + runtime.Settings.Drain.Deadline;
        runtime.Supervisor.Tell(new Lifecycle.GatewaySupervisor.RetireListener(name, new Drain(deadline, DrainReason.Admin) { IdleClose = runtime.Settings.Drain.IdleClose }));
        return DrainRequestResult.Started;
    }

    /// <summary>Takes back a whole-gateway drain still in its announce window; false when it is too late.</summary>
    public bool Undrain()
    {
        lock (_gate)
        {
            if (!runtime.State.TryUndrain()) return false;
            _undrain.Cancel();
            runtime.Supervisor.Tell(Resume.Instance);
        }
        Log.Undrained(logger);
        return true;
    }

    /// <summary>Starts an admin drain and announces it at once; null when a drain is under way.</summary>
    private CancellationToken? Begin()
    {
        lock (_gate)
        {
            if (!runtime.State.TryBeginDrain(DrainReason.Admin)) return null;
            _undrain = new CancellationTokenSource();
            runtime.Supervisor.Tell(new Announce(DrainReason.Admin));
            return _undrain.Token;
        }
    }

    private async Task RunAsync(CancellationToken undrain)
    {
        var state = runtime.State;
        var drain = runtime.Settings.Drain;
        var t0 = state.DrainStartedAt ?? state.Time.GetUtcNow();
        try
        {
            var wait = t0 + drain.Announce - state.Time.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, state.Time, undrain);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        if (!state.Enter(GatewayPhase.Unbinding)) return;
        await TreeAsk.AskOrStopped<AcceptingStopped>(runtime.Supervisor, StopAccepting.Instance, TimeSpan.FromSeconds(10));
        state.Enter(GatewayPhase.Draining);
        var result = await TreeAsk.AskOrStopped<DrainComplete>(runtime.Supervisor, new Drain(state.DeadlineFor(drain.Deadline), DrainReason.Admin) { IdleClose = drain.IdleClose },
            drain.Deadline + TimeSpan.FromSeconds(5));
        state.Finish(result);
        Log.AdminDrainFinished(logger, result?.Outcome.ToString() ?? "Stopped", result?.Counts.ToString() ?? "");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AdminDrain, Level = LogLevel.Information, Message = "Admin drain of {What} started (the process stays up)")]
        public static partial void AdminDrain(ILogger logger, string what);

        [LoggerMessage(EventId = EventIds.AdminUndrain, Level = LogLevel.Information, Message = "Admin drain taken back in the announce window: serving as before")]
        public static partial void Undrained(ILogger logger);

        [LoggerMessage(EventId = EventIds.AdminDrainFinished, Level = LogLevel.Information, Message = "Admin drain finished: {Outcome} ({Counts})")]
        public static partial void AdminDrainFinished(ILogger logger, string outcome, string counts);
    }
}
