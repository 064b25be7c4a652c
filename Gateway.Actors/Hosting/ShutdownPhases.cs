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
/// cluster leave, <c>ActorSystem.Terminate</c>) therefore drains the gateway first — through the one
/// <see cref="DrainDriver"/>, which the phases start and wait on.
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

    /// <summary>
    /// The phases start the drain (or join the one under way: a hot restart's, an admin drain that now leads to exit)
    /// and wait for its milestones; the <see cref="DrainDriver"/> moves the timeline itself, so a phase that times
    /// out never leaves the drain half-driven.
    /// </summary>
    public static void Register(ActorSystem system, GatewayRuntime runtime, ILogger logger)
    {
        var cs = CoordinatedShutdown.Get(system);
        var driver = runtime.Driver;

        cs.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "gateway-announce", async () =>
        {
            // A downed node is no longer in the cluster: it drains at once, without the budget.
            var downed = cs.ShutdownReason is CoordinatedShutdown.ClusterDowningReason;
            if (downed && runtime.Cluster is not null) Log.DownedDrain(logger);
            var timeout = cs.Timeout(CoordinatedShutdown.PhaseBeforeServiceUnbind);
            await TreeAsk.AskOrStopped<DrainCommands.Begun>(driver, new DrainCommands.Begin(DrainReason.Shutdown, Exit: true, WithoutSlot: downed), timeout);
            await TreeAsk.AskOrStopped<DrainCommands.Reached>(driver, new DrainCommands.WaitFor(DrainMilestone.AnnounceOver), timeout);
            return Done.Instance;
        });

        cs.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "gateway-stop-accepting", async () =>
        {
            await TreeAsk.AskOrStopped<DrainCommands.Reached>(driver, new DrainCommands.WaitFor(DrainMilestone.Unbound),
                cs.Timeout(CoordinatedShutdown.PhaseServiceUnbind));
            return Done.Instance;
        });

        if (runtime.AccessLog is { } accessLog)
            // After the drain: the last request of the drain is written before the process leaves.
            cs.AddTask(CoordinatedShutdown.PhaseServiceStop, "gateway-access-log", async () =>
            {
                await accessLog.CompleteAsync();
                return Done.Instance;
            });

        if (system.Settings.Setup.Get<Telemetry.AkkaLogSinkSetup>().Value is { } akkaLog)
            // Last before the actor system stops: the drain's own lines are written to the log, not to standard out.
            cs.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "gateway-akka-log", async () =>
            {
                await akkaLog.FlushAsync();
                return Done.Instance;
            });

        cs.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "gateway-drain", async () =>
        {
            await TreeAsk.AskOrStopped<DrainCommands.Reached>(driver, new DrainCommands.WaitFor(DrainMilestone.Finished),
                cs.Timeout(CoordinatedShutdown.PhaseServiceRequestsDone));
            foreach (var listener in runtime.Listeners.All)
                Log.ListenerSummary(logger, listener.Name, listener.Counters.AcceptedConnections, listener.Counters.ForcedConnections, listener.Counters.OpenConnections);
            return Done.Instance;
        });
    }

    /// <summary>The driver's hooks into this host: the cluster's drain budget, when clustered.</summary>
    public static DrainHooks Hooks(GatewayRuntime runtime) => new()
    {
        AcquireSlot = runtime.Settings.Cluster.Enabled
            ? (requested, force) => runtime.Cluster!.Gate.AcquireAsync(requested,
                requested + runtime.Settings.Drain.Deadline - runtime.Settings.Cluster.QueueReserve, runtime.State.Time, force)
            : null,
        ReleaseSlot = () => runtime.Cluster?.Gate.Release(),
        ListenerExists = name => runtime.Listeners.All.Any(l => l.Name == name),
        ListenerState = runtime.ListenerState,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.DrainDowned, Level = LogLevel.Warning,
            Message = "This node was downed (it is no longer in the cluster): draining at once, without the drain budget")]
        public static partial void DownedDrain(ILogger logger);

        [LoggerMessage(EventId = EventIds.ListenerSummary, Level = LogLevel.Information,
            Message = "Listener {Listener} drain summary: {Accepted} connection(s) accepted in its life, {Forced} forced, {Open} still open")]
        public static partial void ListenerSummary(ILogger logger, string listener, long accepted, long forced, long open);
    }
}
