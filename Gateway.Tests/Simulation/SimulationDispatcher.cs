using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace Gateway.Tests.Simulation;

/// <summary>
/// A dispatcher that runs nothing by itself: every mailbox run is queued and executed, one after the other, on the
/// thread that calls <see cref="RunUntilIdle"/>. The simulated gateway tree is deployed on it, so a simulation is
/// single-threaded and deterministic, and "nothing left to do at this virtual time" is simply an empty queue.
/// Unlike a calling-thread dispatcher it never nests one actor's turn inside another's, so the order of events (a
/// child's stop before its parent's) is the order in which they happened.
/// </summary>
public sealed class SimulationDispatcher(MessageDispatcherConfigurator configurator) : MessageDispatcher(configurator)
{
    /// <summary>The dispatcher id in a simulation's configuration.</summary>
    public const string ConfigId = "gateway-simulation-dispatcher";

    private readonly ConcurrentQueue<IRunnable> _runs = new();

    /// <summary>Mailbox runs executed so far (a measure of the work a simulation did).</summary>
    public long Executed { get; private set; }

    protected override void ExecuteTask(IRunnable run) => _runs.Enqueue(run);

    protected override void Shutdown() { }

    /// <summary>Runs queued mailbox turns (and those they queue) until there are none; returns how many ran.</summary>
    public long RunUntilIdle()
    {
        long ran = 0;
        while (_runs.TryDequeue(out var run))
        {
            run.Run();
            ran++;
        }
        Executed += ran;
        return ran;
    }
}

/// <summary>Creates the <see cref="SimulationDispatcher"/> of one actor system.</summary>
public sealed class SimulationDispatcherConfigurator(Config config, IDispatcherPrerequisites prerequisites)
    : MessageDispatcherConfigurator(config, prerequisites)
{
    public override MessageDispatcher Dispatcher() => _instance ??= new SimulationDispatcher(this);

    private SimulationDispatcher? _instance;
}
