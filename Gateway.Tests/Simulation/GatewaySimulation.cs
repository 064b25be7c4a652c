using System.Collections;
using System.Reflection;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Gateway.Upstreams;
using Microsoft.Extensions.Logging.Abstractions;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Simulation;

/// <summary>What a simulation observed.</summary>
public sealed class SimulationResult
{
    internal SimulationResult(Scenario scenario, DateTimeOffset start, SimulatedJournal journal, DrainComplete? complete,
        DateTimeOffset? completedAt, IReadOnlyList<SimulatedConnection> connections, IReadOnlyList<SimulatedUpstream> upstreams)
    {
        Scenario = scenario;
        Start = start;
        Timeline = journal.Entries;
        Complete = complete;
        CompletedAt = completedAt - start;
        Connections = connections;
        Upstreams = upstreams;
    }

    public Scenario Scenario { get; }

    /// <summary>Virtual time zero of the scenario.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>Every port call and lifecycle event (actor started/stopped, DrainComplete) with its virtual time.</summary>
    public IReadOnlyList<JournalEntry> Timeline { get; }

    /// <summary>The gateway's final report; null when it never came (a hung drain).</summary>
    public DrainComplete? Complete { get; }

    /// <summary>When <see cref="Complete"/> arrived, from the start of the scenario.</summary>
    public TimeSpan? CompletedAt { get; }

    /// <summary>The simulated connections, in the order of <see cref="Scenario.Connections"/> (ids c0, c1, …).</summary>
    public IReadOnlyList<SimulatedConnection> Connections { get; }

    public IReadOnlyList<SimulatedUpstream> Upstreams { get; }

    /// <summary>A timeline entry's time from the start of the scenario.</summary>
    public TimeSpan At(JournalEntry entry) => entry.At - Start;

    /// <summary>The timeline with times relative to the start, for failure messages.</summary>
    public string Describe() =>
        string.Join("\n", Timeline.Select(e => $"  #{e.Seq,-5} {At(e).TotalMilliseconds,8:0.###}ms  {e.Event}"));
}

/// <summary>Options of a <see cref="GatewaySimulation"/>.</summary>
/// <param name="Record">Journal port calls and actor starts and stops (off for 100,000-connection benchmarks).</param>
public sealed record SimulationOptions(bool Record = true);

/// <summary>
/// Plays a <see cref="Scenario"/> against the production actor tree (<see cref="GatewaySupervisor.Props"/>, unchanged)
/// in an actor system of its own, on virtual time (Akka's <see cref="TestScheduler"/>) and on one thread (the
/// <see cref="SimulationDispatcher"/>): the result is the same on every run. Construction builds the tree and accepts
/// the connections open at time zero; <see cref="Play"/> runs the shutdown to its end.
/// </summary>
public sealed class GatewaySimulation : IDisposable
{
    private static readonly FieldInfo? ScheduledWork =
        typeof(TestScheduler).GetField("_scheduledWork", BindingFlags.Instance | BindingFlags.NonPublic);

    private readonly Scenario _scenario;
    private readonly SimulatedJournal _journal;
    private readonly SimulationDispatcher _dispatcher;
    private readonly IActorRef _gateway;
    private readonly IActorRef _recorder;
    private readonly List<SimulatedConnection> _connections = [];
    private readonly List<SimulatedUpstream> _upstreams = [];
    private readonly List<(TimeSpan At, int Priority, Action Act)> _actions = [];
    private readonly DateTimeOffset _start;
    private DrainComplete? _complete;
    private DateTimeOffset? _completedAt;

    public GatewaySimulation(Scenario scenario, SimulationOptions? options = null)
    {
        options ??= new SimulationOptions();
        _scenario = scenario;
        System = ActorSystem.Create("simulation", Configuration(options.Record));
        Clock = (TestScheduler)System.Scheduler;
        _dispatcher = (SimulationDispatcher)System.Dispatchers.Lookup(SimulationDispatcher.ConfigId);
        _journal = new SimulatedJournal(Clock, options.Record);
        _start = Clock.Now;

        _recorder = Started(System.ActorOf(Props.Create(() => new Recorder(_journal, OnComplete)).WithDispatcher(SimulationDispatcher.ConfigId), "recorder"));
        if (options.Record) System.EventStream.Subscribe(_recorder, typeof(Debug));

        var listeners = scenario.Listeners.Select(IListenerPort (name) => new SimulatedListener(name, _journal)).ToList();
        foreach (var spec in scenario.Upstreams)
        {
            var busy = spec.Behaviour == UpstreamBehaviour.Hangs || spec.BusyFor > TimeSpan.Zero;
            var upstream = new SimulatedUpstream(spec.Name, _journal, busy ? 1 : 0, inlineContinuations: true);
            _upstreams.Add(upstream);
            if (busy && spec.Behaviour == UpstreamBehaviour.Answers) At(spec.BusyFor, 0, upstream.FinishRequest);
            if (busy && spec.Behaviour == UpstreamBehaviour.Fails) At(spec.BusyFor, 0, upstream.FailRequests);
        }
        _gateway = Started(System.ActorOf(GatewaySupervisor.Props(listeners, _upstreams), GatewaySupervisor.Name));

        for (var i = 0; i < scenario.Connections.Count; i++)
        {
            var spec = scenario.Connections[i];
            var connection = new SimulatedConnection("c" + i, _journal, spec.Kind == ConnectionKind.Idle ? 0 : 1, inlineContinuations: true)
            {
                ThrowOnGoAway = spec.Crash == Crash.OnGoAway,
                ThrowOnRequestClose = spec.Crash == Crash.OnRequestClose,
            };
            _connections.Add(connection);
            var accepted = new GatewaySupervisor.ConnectionAccepted(spec.Listener, connection);
            if (spec.OpensAt <= TimeSpan.Zero) _gateway.Tell(accepted);
            else At(spec.OpensAt, 1, () => _gateway.Tell(accepted));
            if (spec.BusyUntil is { } end) At(end, 0, connection.FinishRequest);
        }

        // The production drain driver owns the timeline: the scenario only signals, as SIGTERM does (and again).
        State = new GatewayState(TimeProvider.System);
        var timeline = new DrainTimeline(scenario.Announce, scenario.Deadline, IdleClosePolicy.AtOnce);
        Driver = Started(System.ActorOf(DrainDriver.Props(_gateway, timeline, State, DrainHooks.None, NullLogger.Instance), DrainDriver.Name));
        At(scenario.Signal, 2, () =>
        {
            Driver.Tell(new DrainCommands.Begin(DrainReason.Shutdown, Exit: true), _recorder);
            Driver.Tell(new DrainCommands.WaitFor(DrainMilestone.Finished), _recorder);
        });
        if (scenario.SecondSignal is { } again)
            At(again, 4, () => Driver.Tell(DrainCommands.Force.Instance, _recorder));

        // Same time: requests end first, then connections open, then the signals (ordered by priority, then by order).
        _actions = [.. _actions.Select((a, i) => (a, i)).OrderBy(x => x.a.At).ThenBy(x => x.a.Priority).ThenBy(x => x.i).Select(x => x.a)];
        _dispatcher.RunUntilIdle(); // the tree is built and the connections open at time zero are accepted
    }

    /// <summary>The simulation's own actor system (virtual time, single-threaded gateway tree).</summary>
    public ActorSystem System { get; }

    public TestScheduler Clock { get; }

    /// <summary>The production supervisor at /user/gateway.</summary>
    public IActorRef Gateway => _gateway;

    /// <summary>The production drain driver at /user/drain, which the scenario's signals drive.</summary>
    public IActorRef Driver { get; }

    /// <summary>What the driver mirrors (phase, reason, deadline), as the admin API reads it.</summary>
    public GatewayState State { get; }

    /// <summary>Mailbox runs executed so far.</summary>
    public long MailboxRuns => _dispatcher.Executed;

    internal SimulationDispatcher Dispatcher => _dispatcher;

    /// <summary>The configuration of a simulation's actor system.</summary>
    public static Config Configuration(bool recordLifecycle) => ConfigurationFactory.ParseString($$"""
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = OFF
        akka.stdout-loglevel = OFF
        akka.log-dead-letters = off
        akka.log-dead-letters-during-shutdown = off
        akka.actor.debug.lifecycle = {{(recordLifecycle ? "on" : "off")}}
        {{SimulationDispatcher.ConfigId}} {
          type = "{{typeof(SimulationDispatcherConfigurator).AssemblyQualifiedName}}"
          throughput = 100
        }
        akka.actor.deployment {
          "/gateway" { dispatcher = {{SimulationDispatcher.ConfigId}} }
          "/drain" { dispatcher = {{SimulationDispatcher.ConfigId}} }
          "/drain/*" { dispatcher = {{SimulationDispatcher.ConfigId}} }
          "/gateway/*" { dispatcher = {{SimulationDispatcher.ConfigId}} }
          "/gateway/*/*" { dispatcher = {{SimulationDispatcher.ConfigId}} }
        }
        """);

    /// <summary>Plays a scenario in a fresh simulation and returns what happened.</summary>
    public static SimulationResult Run(Scenario scenario, SimulationOptions? options = null)
    {
        using var simulation = new GatewaySimulation(scenario, options);
        return simulation.Play();
    }

    /// <summary>
    /// Moves virtual time from event to event — the scenario's (requests ending, connections opening, signals) and the
    /// actors' own timers (deadlines) — running the tree to quiescence at each, until the gateway reports
    /// <see cref="DrainComplete"/> (or nothing is left to happen, or the deadline is long past).
    /// </summary>
    public SimulationResult Play()
    {
        var horizon = _start + _scenario.DeadlineAt + TimeSpan.FromSeconds(10);
        var next = 0;
        Settle();
        while (_complete is null)
        {
            DateTimeOffset? action = next < _actions.Count ? _start + _actions[next].At : null;
            var timer = NextTimer();
            if (action is null && timer is null) break;
            var t = action is null ? timer!.Value : timer is null ? action.Value : action.Value < timer.Value ? action.Value : timer.Value;
            if (t > horizon) break;
            if (t > Clock.Now) Clock.AdvanceTo(t); // timers due at t fire first
            Settle();
            while (_complete is null && next < _actions.Count && _start + _actions[next].At <= Clock.Now)
            {
                _actions[next++].Act();
                Settle();
            }
        }
        Settle();
        return new SimulationResult(_scenario, _start, _journal, _complete, _completedAt, _connections, _upstreams);
    }

    /// <summary>Terminates the actor system, running what is left on the simulation dispatcher meanwhile.</summary>
    public void Dispose()
    {
        var terminated = System.Terminate();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!terminated.IsCompleted && DateTime.UtcNow < until)
        {
            if (_dispatcher.RunUntilIdle() == 0) Thread.Sleep(1);
        }
    }

    /// <summary>
    /// Top-level actors are made by the user guardian on its own (thread-pool) dispatcher: wait until the actor's cell
    /// exists, so that from here on every message goes straight to the simulation dispatcher's queue.
    /// </summary>
    private IActorRef Started(IActorRef actor)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (actor is RepointableActorRef { IsStarted: false } || ((ActorRefWithCell)actor).Underlying is not ActorCell)
        {
            if (DateTime.UtcNow > until) throw new InvalidOperationException($"{actor.Path} did not start");
            Thread.Yield();
        }
        _dispatcher.RunUntilIdle();
        return actor;
    }

    private void At(TimeSpan at, int priority, Action act) => _actions.Add((at, priority, act));

    private void OnComplete(DrainComplete complete)
    {
        _complete ??= complete;
        _completedAt ??= Clock.Now;
    }

    /// <summary>Runs the tree until nothing is left to do at this virtual time (including zero-delay timers).</summary>
    private void Settle()
    {
        for (var round = 0; round < 10_000; round++)
        {
            _dispatcher.RunUntilIdle();
            if (!TimerDueNow()) return;
            Clock.Advance(TimeSpan.Zero);
        }
        throw new InvalidOperationException("the simulation does not settle: timers keep firing at the same virtual time");
    }

    // Enumerated entry by entry: the scheduler's ConcurrentDictionary takes every lock to list its Keys, which cost
    // a quarter of a 100,000-connection drain's wall time; its enumerator takes none.
    private IEnumerable<long> TimerTicks()
    {
        if (ScheduledWork?.GetValue(Clock) is not IDictionary work) yield break;
        foreach (DictionaryEntry entry in work) yield return (long)entry.Key;
    }

    private bool TimerDueNow()
    {
        var now = Clock.Now.UtcTicks;
        return TimerTicks().Any(t => t <= now);
    }

    private DateTimeOffset? NextTimer()
    {
        var now = Clock.Now.UtcTicks;
        long? next = null;
        foreach (var t in TimerTicks())
            if (t > now && (next is null || t < next)) next = t;
        // Without access to the scheduler's queue, step in 1 ms ticks.
        if (ScheduledWork is null) return Clock.Now + TimeSpan.FromMilliseconds(1);
        return next is { } ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
    }

    /// <summary>Receives the gateway's answers and, when recording, every actor's start and stop.</summary>
    private sealed class Recorder : ReceiveActor
    {
        public Recorder(SimulatedJournal journal, Action<DrainComplete> onComplete)
        {
            Receive<DrainCommands.Reached>(r =>
            {
                if (r.Result is not { } c) return;
                journal.Record($"drain-complete {c.Path} {c.Outcome} {c.Counts}");
                onComplete(c);
            });
            Receive<DrainCommands.Begun>(b => journal.Record($"begun {b.Result} ({b.Phase})"));
            Receive<DrainCommands.Undrained>(u => journal.Record($"undrained {u}"));
            Receive<AcceptingStopped>(a => journal.Record($"accepting-stopped {a.Path}"));
            Receive<Debug>(d =>
            {
                var at = d.LogSource.IndexOf("/user/gateway", StringComparison.Ordinal);
                if (at < 0) return;
                var path = d.LogSource[(at + "/user/".Length)..];
                var text = d.Message?.ToString() ?? "";
                if (text.StartsWith("Started", StringComparison.OrdinalIgnoreCase)) journal.Record($"actor {path} started");
                else if (text.Equals("Stopped", StringComparison.OrdinalIgnoreCase)) journal.Record($"actor {path} stopped");
            });
        }
    }
}
