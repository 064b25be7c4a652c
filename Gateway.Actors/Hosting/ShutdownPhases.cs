using Akka;
using Akka.Actor;
using Gateway.Configuration;
using Gateway.Lifecycle;
using Microsoft.Extensions.Logging;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Hosting;

/// <summary>
/// Maps the drain timeline onto CoordinatedShutdown's service phases: announce in before-service-unbind,
/// stop accepting in service-unbind, drain in service-requests-done. Any CoordinatedShutdown run (host stop,
/// cluster leave, <c>ActorSystem.Terminate</c>) therefore drains the gateway first.
/// </summary>
internal static partial class ShutdownPhases
{
    /// <summary>What each service phase may take beyond the configured announce and deadline.</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);

    /// <summary>HOCON with the phase timeouts derived from announce (A) and deadline (D).</summary>
    public static string TimeoutsHocon(DrainSettings drain, bool clustered = false)
    {
        // A cluster node may wait for a drain slot before it announces, at most until its deadline approaches.
        var queue = clustered ? drain.Deadline : TimeSpan.Zero;
        static string S(TimeSpan t) => $"{(long)Math.Ceiling(t.TotalMilliseconds)}ms";
        return $$"""
            akka.coordinated-shutdown.phases {
              before-service-unbind.timeout = {{S(queue + drain.Announce + Margin)}}
              service-unbind.timeout = {{S(Margin)}}
              service-requests-done.timeout = {{S(drain.Deadline + Margin)}}
              service-stop.timeout = {{S(Margin)}}
            }
            """;
    }

    /// <summary>The longest the whole shutdown can take; the host's shutdown timeout must exceed it.</summary>
    public static TimeSpan Budget(DrainSettings drain, bool clustered = false) =>
        (clustered ? drain.Deadline : TimeSpan.Zero) + drain.Announce + drain.Deadline + TimeSpan.FromSeconds(60);

    public static void Register(ActorSystem system, GatewayRuntime runtime, ILogger logger)
    {
        var cs = CoordinatedShutdown.Get(system);
        var drain = runtime.Settings.Drain;
        var state = runtime.State;

        cs.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "gateway-announce", async () =>
        {
            if (runtime.Cluster is { } cluster && state.DrainStartedAt is null)
                await WaitForDrainSlotAsync(cs, cluster, runtime, logger);
            var t0 = state.BeginDrain(DrainReason.Shutdown);
            Log.PhaseStarted(logger, drain.Announce.TotalSeconds, drain.Deadline.TotalSeconds);
            runtime.Supervisor.Tell(new Announce(state.Reason ?? DrainReason.Shutdown));
            // A successor already accepts on the same sockets: no load balancer needs time to move away.
            var announce = state.Reason == DrainReason.HotRestart ? TimeSpan.Zero : drain.Announce;
            var wait = t0 + announce - state.Time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try { await Task.Delay(wait, state.Time, state.ForceToken); }
                catch (OperationCanceledException) { }
            }
            return Done.Instance;
        });

        cs.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "gateway-stop-accepting", async () =>
        {
            var started = state.Time.GetTimestamp();
            state.Enter(GatewayPhase.Unbinding);
            await TreeAsk.AskOrStopped<AcceptingStopped>(runtime.Supervisor, StopAccepting.Instance, cs.Timeout(CoordinatedShutdown.PhaseServiceUnbind));
            Log.PhaseEnded(logger, "unbind", state.Time.GetElapsedTime(started).TotalMilliseconds);
            return Done.Instance;
        });

        if (runtime.AccessLog is { } accessLog)
            // After the drain: the last request of the drain is written before the process leaves.
            cs.AddTask(CoordinatedShutdown.PhaseServiceStop, "gateway-access-log", async () =>
            {
                await accessLog.CompleteAsync();
                return Done.Instance;
            });

        cs.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "gateway-drain", async () =>
        {
            var started = state.Time.GetTimestamp();
            state.Enter(GatewayPhase.Draining);
            var t0 = state.BeginDrain(DrainReason.Shutdown);
            var order = new Drain(state.DeadlineFor(drain.Deadline), state.Reason ?? DrainReason.Shutdown,
                state.ForceToken.IsCancellationRequested ? DrainMode.Force : DrainMode.Graceful) { IdleClose = drain.IdleClose };
            var result = await TreeAsk.AskOrStopped<DrainComplete>(runtime.Supervisor, order, cs.Timeout(CoordinatedShutdown.PhaseServiceRequestsDone));
            state.Finish(result);
            foreach (var listener in runtime.Listeners.All)
                Log.ListenerSummary(logger, listener.Name, listener.AcceptedConnections, listener.ForcedConnections, listener.OpenConnections);
            Log.DrainFinished(logger, result?.Outcome.ToString() ?? "Stopped", result?.Counts.ToString() ?? "(tree already stopped)",
                state.Time.GetElapsedTime(started).TotalMilliseconds, (state.Time.GetUtcNow() - t0).TotalMilliseconds);
            // The drain is over: the next node queued for the cluster's drain budget may go (this one now leaves).
            runtime.Cluster?.Gate.Release();
            return Done.Instance;
        });
    }

    /// <summary>
    /// A cluster node drains only with a slot of the cluster-wide budget: it keeps serving (and stays ready) while
    /// queued, until only queue-reserve of its deadline is left. A downed node is no longer in the cluster: it drains
    /// at once, without the budget.
    /// </summary>
    private static async Task WaitForDrainSlotAsync(CoordinatedShutdown cs, Gateway.Cluster.GatewayCluster cluster, GatewayRuntime runtime, ILogger logger)
    {
        var state = runtime.State;
        var requested = state.RequestDrain();
        if (cs.ShutdownReason is CoordinatedShutdown.ClusterDowningReason)
        {
            Log.DownedDrain(logger);
            return;
        }
        var giveUp = requested + runtime.Settings.Drain.Deadline - runtime.Settings.Cluster.QueueReserve;
        await cluster.Gate.AcquireAsync(requested, giveUp, state.Time, state.ForceToken);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.DrainDowned, Level = LogLevel.Warning,
            Message = "This node was downed (it is no longer in the cluster): draining at once, without the drain budget")]
        public static partial void DownedDrain(ILogger logger);

        [LoggerMessage(EventId = EventIds.PhaseStarted, Level = LogLevel.Information,
            Message = "Drain started: readiness is 503; announce {AnnounceSeconds}s, deadline {DeadlineSeconds}s")]
        public static partial void PhaseStarted(ILogger logger, double announceSeconds, double deadlineSeconds);

        [LoggerMessage(EventId = EventIds.PhaseEnded, Level = LogLevel.Information,
            Message = "Drain phase {Phase} done in {Milliseconds:0}ms: listeners accept no new connections")]
        public static partial void PhaseEnded(ILogger logger, string phase, double milliseconds);

        [LoggerMessage(EventId = EventIds.ListenerSummary, Level = LogLevel.Information,
            Message = "Listener {Listener} drain summary: {Accepted} connection(s) accepted in its life, {Forced} forced, {Open} still open")]
        public static partial void ListenerSummary(ILogger logger, string listener, long accepted, long forced, long open);

        [LoggerMessage(EventId = EventIds.DrainFinished, Level = LogLevel.Information,
            Message = "Drain finished: {Outcome} ({Counts}) after {PhaseMilliseconds:0}ms of draining, {TotalMilliseconds:0}ms after the signal")]
        public static partial void DrainFinished(ILogger logger, string outcome, string counts, double phaseMilliseconds, double totalMilliseconds);
    }
}
