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
        DateTimeOffset? completedAt, IReadOnlyList<SimulatedConnection> connections, IReadOnlyList<SimulatedUpstream> upstreams,
        GatewaySimulation simulation)
    {
        Listeners = simulation.Listeners;
        Ends = [.. connections.Select(c => new ConnectionOutcome(c.End, c.ClosedAt - start, c.Aborts))];
        Commands = simulation.Commands;
        var entries = journal.Entries;
        StateSamples = [.. entries.Where(e => e.Event.StartsWith("phase ", StringComparison.Ordinal))
            .Select(e => (e.Seq, e.At - start, Enum.Parse<GatewayPhase>(e.Event["phase ".Length..])))];
        Phases = [.. TransitionsLogged(entries, start).Select(t => (t.At, t.Phase))];
        PhaseLines = [.. TransitionsLogged(entries, start)];
        Answers = [.. simulation.AnswersSeen];
        Reports = [.. simulation.ReportsSeen];
        ListenerPhases = scenario.Listeners.ToDictionary(l => l, l => simulation.ListenerState(l).Phase);
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

    public IReadOnlyList<SimulatedListener> Listeners { get; }

    /// <summary>How each connection stood when the play ended (the connections themselves are closed when the simulation is disposed).</summary>
    public IReadOnlyList<ConnectionOutcome> Ends { get; }

    /// <summary>The commands played (a commanded run), in time order.</summary>
    public IReadOnlyList<TimedCommand> Commands { get; }

    /// <summary>Every change of the gateway's drain state as the driver logged it, with its time from the start.</summary>
    public IReadOnlyList<(TimeSpan At, GatewayPhase Phase)> Phases { get; }

    /// <summary>The gateway's drain state as its mirror showed it whenever the tree was quiet (several changes may fall between two).</summary>
    public IReadOnlyList<(long Seq, TimeSpan At, GatewayPhase Phase)> StateSamples { get; }

    /// <summary><see cref="Phases"/> with the journal's sequence number of each line.</summary>
    public IReadOnlyList<(long Seq, TimeSpan At, GatewayPhase Phase)> PhaseLines { get; }

    /// <summary>The state each of the driver's log lines about the gateway says it entered.</summary>
    private static IEnumerable<(long Seq, TimeSpan At, GatewayPhase Phase)> TransitionsLogged(IReadOnlyList<JournalEntry> timeline, DateTimeOffset start)
    {
        foreach (var entry in timeline)
        {
            var e = entry.Event;
            if (!e.StartsWith("log ", StringComparison.Ordinal)) continue;
            var text = e[(e.IndexOf(' ', 4) + 1)..];
            GatewayPhase? phase = e[4..6] switch
            {
                "22" when text.StartsWith("Drain started: readiness", StringComparison.Ordinal) => GatewayPhase.Announcing,
                "26" when text.StartsWith("Drain of the gateway:", StringComparison.Ordinal) => GatewayPhase.Unbinding,
                "23" when text.Contains("(the gateway)", StringComparison.Ordinal) || text.StartsWith("Drain of the gateway:", StringComparison.Ordinal) => GatewayPhase.Draining,
                "24" when text.Contains("(the gateway)", StringComparison.Ordinal) =>
                    text.Contains("stays up", StringComparison.Ordinal) ? GatewayPhase.Drained : GatewayPhase.Exiting,
                "27" when text.StartsWith("Drain of the gateway:", StringComparison.Ordinal) =>
                    Enum.Parse<GatewayPhase>(text[(text.LastIndexOf(' ') + 1)..]),
                "28" when text.StartsWith("Drain of the gateway taken back: serving again", StringComparison.Ordinal) => GatewayPhase.Serving,
                "28" when text.StartsWith("Drain of the gateway taken back", StringComparison.Ordinal) => GatewayPhase.Drained,
                _ => null,
            };
            if (phase is { } p) yield return (entry.Seq, entry.At - start, p);
        }
    }

    /// <summary>Every answer of the driver (Begun, Undrained), with its time from the start.</summary>
    public IReadOnlyList<(TimeSpan At, object Answer)> Answers { get; }

    /// <summary>Every report of the tree at a drain's end, with its time from the start.</summary>
    public IReadOnlyList<(TimeSpan At, DrainComplete Report)> Reports { get; }

    /// <summary>Each listener's own drain state at the end (a listener drained alone).</summary>
    public IReadOnlyDictionary<string, GatewayPhase> ListenerPhases { get; }

    /// <summary>A timeline entry's time from the start of the scenario.</summary>
    public TimeSpan At(JournalEntry entry) => entry.At - Start;

    /// <summary>The timeline with times relative to the start, for failure messages.</summary>
    public string Describe() =>
        string.Join("\n", Timeline.Select(e => $"  #{e.Seq,-5} {At(e).TotalMilliseconds,8:0.###}ms  {e.Event}"));
}

/// <summary>One connection when a play ended: how and when it ended (from the start), and how often it was aborted.</summary>
public sealed record ConnectionOutcome(ConnectionEnd End, TimeSpan? ClosedAt, int Aborts);

/// <summary>Options of a <see cref="GatewaySimulation"/>.</summary>
/// <param name="Record">Journal port calls and actor starts and stops (off for 100,000-connection benchmarks).</param>
/// <param name="Commands">
/// Commands for the drain driver at virtual times (an operator's drain, an undrain, a signal, a second signal);
/// when given, they replace the scenario's signals and the simulation runs until nothing is left to happen.
/// </param>
/// <param name="HoldUnbind">Listeners whose first unbind completes only at the given time (the driver waits in Unbinding).</param>
public sealed record SimulationOptions(
    bool Record = true,
    IReadOnlyList<TimedCommand>? Commands = null,
    IReadOnlyDictionary<string, TimeSpan>? HoldUnbind = null);

/// <summary>A command to the drain driver at a virtual time (from the start of the scenario).</summary>
public sealed record TimedCommand(TimeSpan At, object Command)
{
    public override string ToString() => $"{At.TotalMilliseconds}ms {Command}";
}

/// <summary>
/// Plays a <see cref="Scenario"/> against the production actor tree (<see cref="GatewaySupervisor.Props"/>, unchanged)
/// in an actor system of its own, on virtual time (Akka's <see cref="TestScheduler"/>) and on one thread (the
/// <see cref="SimulationDispatcher"/>): the result is the same on every run. Construction builds the tree and accepts
/// the connections open at time zero; <see cref="Play"/> runs the shutdown to its end.
/// </summary>
public sealed class GatewaySimulation : IDisposable
{
    private readonly Scenario _scenario;
    private readonly SimulatedJournal _journal;
    private readonly SimulationDispatcher _dispatcher;
    private readonly IActorRef _gateway;
    private readonly IActorRef _recorder;
    private readonly List<SimulatedConnection> _connections = [];
    private readonly List<SimulatedUpstream> _upstreams = [];
    private readonly List<(TimeSpan At, int Priority, Action Act)> _actions = [];
    private readonly DateTimeOffset _start;
    private readonly bool _commanded;

    internal IReadOnlyList<TimedCommand> Commands { get; }
    internal List<(TimeSpan At, object Answer)> AnswersSeen { get; } = [];
    internal List<(TimeSpan At, DrainComplete Report)> ReportsSeen { get; } = [];
    private DrainComplete? _complete;
    private DateTimeOffset? _completedAt;
    private GatewayPhase _phase;

    public GatewaySimulation(Scenario scenario, SimulationOptions? options = null)
    {
        options ??= new SimulationOptions();
        _scenario = scenario;
        System = ActorSystem.Create("simulation", Configuration(options.Record));
        Clock = System.Scheduler as SimulationScheduler
            ?? throw new InvalidOperationException($"the simulation steps from timer to timer on {nameof(SimulationScheduler)}, not on {System.Scheduler.GetType().Name}");
        _dispatcher = (SimulationDispatcher)System.Dispatchers.Lookup(SimulationDispatcher.ConfigId);
        _journal = new SimulatedJournal(Clock, options.Record);
        _start = Clock.Now;

        _recorder = Started(System.ActorOf(Props.Create(() => new Recorder(_journal, OnComplete, OnAnswer)).WithDispatcher(SimulationDispatcher.ConfigId), "recorder"));
        if (options.Record) System.EventStream.Subscribe(_recorder, typeof(Debug));

        var held = options.HoldUnbind ?? new Dictionary<string, TimeSpan>();
        var listeners = scenario.Listeners.Select(name => new SimulatedListener(name, _journal, holdUnbind: held.ContainsKey(name), inlineContinuations: true)).ToList();
        Listeners = listeners;
        foreach (var listener in listeners.Where(l => held.ContainsKey(l.Name)))
            At(held[listener.Name], 0, listener.CompleteUnbind);
        foreach (var spec in scenario.Upstreams)
        {
            var busy = spec.Behaviour == UpstreamBehaviour.Hangs || spec.BusyFor > TimeSpan.Zero;
            var upstream = new SimulatedUpstream(spec.Name, _journal, busy ? 1 : 0, inlineContinuations: true);
            _upstreams.Add(upstream);
            if (busy && spec.Behaviour == UpstreamBehaviour.Answers) At(spec.BusyFor, 0, upstream.FinishRequest);
            if (busy && spec.Behaviour == UpstreamBehaviour.Fails) At(spec.BusyFor, 0, upstream.FailRequests);
        }
        _gateway = Started(System.ActorOf(GatewaySupervisor.Props([.. listeners], _upstreams), GatewaySupervisor.Name));

        for (var i = 0; i < scenario.Connections.Count; i++)
        {
            var spec = scenario.Connections[i];
            var connection = new SimulatedConnection("c" + i, _journal, spec.Kind == ConnectionKind.Idle ? 0 : 1)
            {
                ThrowOnGoAway = spec.Crash == Crash.OnGoAway,
                ThrowOnRequestClose = spec.Crash == Crash.OnRequestClose,
            };
            _connections.Add(connection);
            var accepted = new GatewaySupervisor.ConnectionAccepted(spec.Listener, connection);
            var listener = listeners.First(l => l.Name == spec.Listener);
            if (spec.OpensAt <= TimeSpan.Zero) _gateway.Tell(accepted);
            else At(spec.OpensAt, 1, () =>
            {
                // A closed listening socket refuses: the connection never reaches the gateway.
                if (listener.Refusing) connection.Refuse();
                else _gateway.Tell(accepted);
            });
            if (spec.BusyUntil is { } end) At(end, 0, connection.FinishRequest);
        }

        // The production drain driver owns the timeline: the scenario only signals, as SIGTERM does (and again).
        State = new GatewayState(TimeProvider.System);
        var timeline = new DrainTimeline(scenario.Announce, scenario.Deadline, IdleClosePolicy.AtOnce);
        var logger = options.Record ? new JournalLogger(_journal) : (Microsoft.Extensions.Logging.ILogger)NullLogger.Instance;
        var hooks = new DrainHooks { ListenerExists = scenario.Listeners.Contains, ListenerState = ListenerState };
        Driver = Started(System.ActorOf(DrainDriver.Props(_gateway, timeline, State, hooks, logger), DrainDriver.Name));
        _commanded = options.Commands is not null;
        Commands = [.. (options.Commands ?? []).OrderBy(c => c.At)];
        if (options.Commands is { } commands)
            foreach (var command in commands)
                At(command.At, 2, () =>
                {
                    _journal.Record($"command {command.Command}");
                    Driver.Tell(command.Command, _recorder);
                    if (command.Command is DrainCommands.Begin { Listener: null }) Driver.Tell(new DrainCommands.WaitFor(DrainMilestone.Finished), _recorder);
                });
        else
        {
            At(scenario.Signal, 2, () =>
            {
                Driver.Tell(new DrainCommands.Begin(DrainReason.Shutdown, Exit: true), _recorder);
                Driver.Tell(new DrainCommands.WaitFor(DrainMilestone.Finished), _recorder);
            });
            if (scenario.SecondSignal is { } again)
                At(again, 4, () => Driver.Tell(DrainCommands.Force.Instance, _recorder));
        }

        // Same time: requests end first, then connections open, then the signals (ordered by priority, then by order).
        _actions = [.. _actions.Select((a, i) => (a, i)).OrderBy(x => x.a.At).ThenBy(x => x.a.Priority).ThenBy(x => x.i).Select(x => x.a)];
        _dispatcher.RunUntilIdle(); // the tree is built and the connections open at time zero are accepted
    }

    /// <summary>The simulation's own actor system (virtual time, single-threaded gateway tree).</summary>
    public ActorSystem System { get; }

    public SimulationScheduler Clock { get; }

    /// <summary>The production supervisor at /user/gateway.</summary>
    public IActorRef Gateway => _gateway;

    /// <summary>The production drain driver at /user/drain, which the scenario's signals drive.</summary>
    public IActorRef Driver { get; }

    /// <summary>What the driver mirrors (phase, reason, deadline), as the admin API reads it.</summary>
    public GatewayState State { get; }

    /// <summary>The simulated listening sockets, in scenario order.</summary>
    public IReadOnlyList<SimulatedListener> Listeners { get; }

    private readonly Dictionary<string, GatewayState> _listenerStates = [];

    /// <summary>The mirror of one listener's own drain.</summary>
    public GatewayState ListenerState(string listener) =>
        _listenerStates.TryGetValue(listener, out var state) ? state : _listenerStates[listener] = new GatewayState(TimeProvider.System);

    /// <summary>Mailbox runs executed so far.</summary>
    public long MailboxRuns => _dispatcher.Executed;

    internal SimulationDispatcher Dispatcher => _dispatcher;

    /// <summary>The configuration of a simulation's actor system.</summary>
    public static Config Configuration(bool recordLifecycle) => ConfigurationFactory.ParseString($$"""
        akka.scheduler.implementation = "{{SimulationScheduler.Implementation}}"
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
          "/gateway/*/*/*" { dispatcher = {{SimulationDispatcher.ConfigId}} }
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
        var horizon = _start + (_commanded ? _actions.Select(a => a.At).DefaultIfEmpty().Max() + _scenario.Deadline : _scenario.DeadlineAt)
                      + TimeSpan.FromSeconds(10);
        var next = 0;
        Settle();
        while (_commanded || _complete is null)
        {
            DateTimeOffset? action = next < _actions.Count ? _start + _actions[next].At : null;
            var timer = Clock.NextDue;
            if (action is null && timer is null) break;
            var t = action is null ? timer!.Value : timer is null ? action.Value : action.Value < timer.Value ? action.Value : timer.Value;
            if (t > horizon) break;
            if (t > Clock.Now) Clock.Step(t); // timers due at t fire first
            Settle();
            while ((_commanded || _complete is null) && next < _actions.Count && _start + _actions[next].At <= Clock.Now)
            {
                _actions[next++].Act();
                Settle();
            }
        }
        Settle();
        return new SimulationResult(_scenario, _start, _journal, _complete, _completedAt, _connections, _upstreams, this);
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

    private void OnAnswer(object answer) => AnswersSeen.Add((Clock.Now - _start, answer));

    private void OnComplete(DrainComplete complete)
    {
        ReportsSeen.Add((Clock.Now - _start, complete));
        // Commanded runs may drain more than once: the last report is the one that counts.
        if (_commanded || _complete is null) (_complete, _completedAt) = (complete, Clock.Now);
    }

    /// <summary>Runs the tree until nothing is left to do at this virtual time (including zero-delay timers).</summary>
    private void Settle()
    {
        for (var round = 0; round < 10_000; round++)
        {
            _dispatcher.RunUntilIdle();
            if (State.Phase != _phase) _journal.Record($"phase {_phase = State.Phase}");
            if (!(Clock.NextDue <= Clock.Now)) return;
            Clock.RunDue();
        }
        throw new InvalidOperationException("the simulation does not settle: timers keep firing at the same virtual time");
    }

    /// <summary>Receives the gateway's answers and, when recording, every actor's start and stop.</summary>
    private sealed class Recorder : ReceiveActor
    {
        public Recorder(SimulatedJournal journal, Action<DrainComplete> onComplete, Action<object> onAnswer)
        {
            Receive<DrainCommands.Reached>(r =>
            {
                if (r.Result is not { } c) return;
                journal.Record($"drain-complete {c.Path} {c.Outcome} {c.Counts}");
                onComplete(c);
            });
            Receive<DrainCommands.Begun>(b =>
            {
                journal.Record($"answer {b}");
                onAnswer(b);
            });
            Receive<DrainCommands.Undrained>(u =>
            {
                journal.Record($"answer {u}");
                onAnswer(u);
            });
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
