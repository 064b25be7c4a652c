using Gateway.Lifecycle;
using static Gateway.Lifecycle.DrainCommands;

namespace Gateway.Tests.Simulation;

/// <summary>
/// The rules of the one drain driver, checked on a commanded simulation (drains, undrains, signals at any moment).
/// Each broken rule yields one line naming it; an empty list means the run kept them all.
/// </summary>
public static class DrainDriverProperties
{
    public const string Legal = "every state change is one the driver allows";
    public const string LoggedOnce = "each state change is logged once, when it happens";
    public const string ExitIsFinal = "once exiting, always exiting; a signal always leads there";
    public const string ExitOnTime = "the process leaves by the drain's deadline, or at once after a second signal";
    public const string NothingCut = "a connection is forced only at a deadline it was told, or after a second signal";
    public const string CountedOnce = "a drain's report counts each connection that ended in it, once";
    public const string Answered = "every drain and undrain asked is answered, and truly";
    public const string Accepting = "serving again means every listener accepts again";

    private static readonly Dictionary<GatewayPhase, GatewayPhase[]> Allowed = new()
    {
        [GatewayPhase.Serving] = [GatewayPhase.Announcing],
        [GatewayPhase.Announcing] = [GatewayPhase.Unbinding, GatewayPhase.Resuming],
        [GatewayPhase.Unbinding] = [GatewayPhase.Draining, GatewayPhase.Resuming],
        [GatewayPhase.Draining] = [GatewayPhase.Drained, GatewayPhase.Exiting, GatewayPhase.Resuming],
        [GatewayPhase.Drained] = [GatewayPhase.Draining, GatewayPhase.Resuming],
        [GatewayPhase.Resuming] = [GatewayPhase.Serving, GatewayPhase.Drained, GatewayPhase.Unbinding],
        [GatewayPhase.Exiting] = [],
    };

    public static IReadOnlyList<string> Check(SimulationResult r)
    {
        var broken = new List<string>();
        void Fail(string rule, string detail) => broken.Add($"[{rule}] {detail}");
        var deadline = r.Scenario.Deadline;
        var tick = DrainProperties.Tick;
        var commands = r.Commands;

        // Legal: from serving, along the allowed edges.
        var previous = GatewayPhase.Serving;
        foreach (var (at, phase) in r.Phases)
        {
            if (!Allowed[previous].Contains(phase)) Fail(Legal, $"{previous} → {phase} at {Ms(at)}");
            previous = phase;
        }

        // Logged once: the log's story (Phases, one line per change) is the state's: whenever the tree was quiet, the
        // mirror showed the state the last line had entered (a missing line, or one too many, shows as a disagreement
        // here or as an illegal change above).
        foreach (var (seq, at, shown) in r.StateSamples)
        {
            var logged = r.PhaseLines.LastOrDefault(p => p.Seq < seq, (Seq: 0L, At: TimeSpan.Zero, Phase: GatewayPhase.Serving)).Phase;
            if (logged != shown) Fail(LoggedOnce, $"at {Ms(at)} the state is {shown}, the log says {logged}");
        }

        // Exit is final, and a signal gets there.
        var exitAt = r.Phases.FirstOrDefault(p => p.Phase == GatewayPhase.Exiting).At;
        var exited = r.Phases.Any(p => p.Phase == GatewayPhase.Exiting);
        if (exited && r.Phases[^1].Phase != GatewayPhase.Exiting) Fail(ExitIsFinal, $"left exiting for {r.Phases[^1].Phase}");
        var firstSignal = commands.FirstOrDefault(c => c.Command is Begin { Exit: true, Listener: null });
        if (firstSignal is not null && !exited) Fail(ExitIsFinal, $"signalled at {Ms(firstSignal.At)} but never exited (ends {r.Phases.LastOrDefault().Phase})");

        // On time: the drain that exits began at its last start (serving → announcing, or drained → draining).
        var hold = r.Listeners.Select(l => r.Timeline.LastOrDefault(e => e.Event == $"listener {l.Name} unbound")).Where(e => e is not null)
            .Select(e => r.At(e!)).DefaultIfEmpty(TimeSpan.Zero).Max();
        if (exited)
        {
            var start = r.Phases.Where((p, i) => p.At <= exitAt && (p.Phase == GatewayPhase.Announcing
                                                  || p.Phase == GatewayPhase.Draining && i > 0 && r.Phases[i - 1].Phase == GatewayPhase.Drained))
                .Select(p => p.At).DefaultIfEmpty(TimeSpan.Zero).Max();
            var forcedAt = commands.Where(c => c.Command is Force && c.At >= (firstSignal?.At ?? TimeSpan.MaxValue)).Select(c => (TimeSpan?)c.At).Min();
            var bound = forcedAt is { } f && f < start + deadline ? Max(f, hold) : Max(start + deadline, hold);
            if (exitAt > bound + tick) Fail(ExitOnTime, $"exited at {Ms(exitAt)}, due by {Ms(bound)}");
        }

        // Nothing cut: an abort follows a second signal, or the deadline of a drain the connection was open in (from its
        // start to its taking back).
        var cycles = new List<(TimeSpan Start, TimeSpan End)>();
        for (var i = 0; i < r.Phases.Count; i++)
        {
            var (at, phase) = r.Phases[i];
            if (phase != GatewayPhase.Announcing && !(phase == GatewayPhase.Draining && i > 0 && r.Phases[i - 1].Phase == GatewayPhase.Drained)) continue;
            var end = r.Phases.Skip(i + 1).FirstOrDefault(p => p.Phase == GatewayPhase.Serving, (At: TimeSpan.MaxValue, Phase: GatewayPhase.Serving)).At;
            cycles.Add((at, end));
        }
        // A listener drained alone: from its start to its taking back.
        var listenerCycles = r.Scenario.Listeners.ToDictionary(l => l, l =>
        {
            var starts = r.Timeline.Where(e => e.Event.StartsWith($"log 22 Drain of listener {l} started", StringComparison.Ordinal)).Select(r.At).ToList();
            var backs = r.Timeline.Where(e => e.Event.StartsWith($"log 28 Drain of listener {l} taken back: serving again", StringComparison.Ordinal)).Select(r.At).ToList();
            return starts.Select(s => (Start: s, End: backs.Where(b => b >= s).DefaultIfEmpty(TimeSpan.MaxValue).Min())).ToList();
        });
        var forces = commands.Where(c => c.Command is Force).Select(c => c.At).ToList();
        for (var i = 0; i < r.Ends.Count; i++)
        {
            var c = r.Ends[i];
            if (c.End != ConnectionEnd.Aborted) continue;
            var at = c.ClosedAt!.Value;
            var opened = r.Scenario.Connections[i].OpensAt;
            var told = cycles.Concat(listenerCycles[r.Scenario.Connections[i].Listener]).Any(c => c.Start + deadline <= at + tick && c.End >= opened)
                       || forces.Any(f => f <= at + tick);
            if (!told) Fail(NothingCut, $"c{i} ({r.Scenario.Connections[i]}) aborted at {Ms(at)} without a deadline or a second signal before");
            if (c.Aborts != 1) Fail(NothingCut, $"c{i} aborted {c.Aborts} times");
        }

        // Counted once: each report counts the connections that ended since its drain's start (the last serving →
        // announcing before it). Runs that drained a listener alone are left out: its own drain counts from its start.
        if (!commands.Any(c => c.Command is Begin { Listener: not null }))
            foreach (var (at, report) in r.Reports)
            {
                var start = r.Phases.Where(p => p.At <= at && p.Phase == GatewayPhase.Announcing).Select(p => p.At).DefaultIfEmpty(TimeSpan.Zero).Max();
                var ended = r.Ends.Count(c => c.ClosedAt is { } closed && closed >= start - tick && closed <= at + tick);
                if (report.Counts.Total != ended) Fail(CountedOnce, $"report at {Ms(at)} counts {report.Counts}, {ended} connection(s) ended since {Ms(start)}");
            }

        // Answered: one answer per drain or undrain asked (a listener's included), none a lie.
        var asked = commands.Count(c => c.Command is Begin or Undrain);
        if (r.Answers.Count != asked) Fail(Answered, $"{asked} asked, {r.Answers.Count} answered");
        foreach (var (at, answer) in r.Answers)
        {
            if (answer is Undrained { Result: UndrainResult.Serving } && exited && at >= exitAt)
                Fail(Answered, $"undrain answered Serving at {Ms(at)}, after exiting at {Ms(exitAt)}");
            if (answer is Undrained { Result: UndrainResult.Exiting } && firstSignal is { } s && at < s.At)
                Fail(Answered, $"undrain answered Exiting at {Ms(at)}, before any signal");
        }

        // Accepting: at the end, serving (gateway and listener) means the listener's last word was to accept again.
        if (r.Phases.LastOrDefault().Phase is GatewayPhase.Serving || r.Phases.Count == 0)
            foreach (var listener in r.Listeners)
            {
                if (r.ListenerPhases[listener.Name] != GatewayPhase.Serving) continue;
                var last = r.Timeline.LastOrDefault(e => e.Event == $"listener {listener.Name} stop-accepting" || e.Event == $"listener {listener.Name} resume-accepting");
                if (last?.Event.EndsWith("stop-accepting", StringComparison.Ordinal) == true)
                    Fail(Accepting, $"listener {listener.Name} was told to stop accepting at {Ms(r.At(last))} and never to accept again");
            }
        return broken;
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string Ms(TimeSpan t) => $"{t.TotalMilliseconds:0.###}ms";
}

/// <summary>Seeded commanded runs for the driver: connections, and drains, undrains and signals at random moments.</summary>
public static class DriverScenarios
{
    public static (Scenario Scenario, SimulationOptions Options) Generate(int seed)
    {
        var rng = new Random(seed);
        TimeSpan Ms(int ms) => TimeSpan.FromMilliseconds(ms);
        var listeners = Enumerable.Range(0, rng.Next(1, 3)).Select(i => "l" + i).ToList();
        var announce = Ms(10 * rng.Next(0, 41));
        var deadline = announce + Ms(10 * rng.Next(10, 201));

        // Times on different residues of 10 ms: commands on 0, openings on 3, request ends on 5, the unbind on 7.
        var connections = Enumerable.Range(0, rng.Next(0, 7)).Select(_ =>
        {
            var kind = (ConnectionKind)new[] { 0, 1, 1, 3 }[rng.Next(4)];
            var opens = rng.Next(3) == 0 ? Ms(10 * rng.Next(0, 300) + 3) : TimeSpan.Zero;
            var length = kind == ConnectionKind.Request ? Ms(10 * rng.Next(0, 300) + 2) : TimeSpan.Zero;
            return new ConnectionSpec(listeners[rng.Next(listeners.Count)], kind, length, opens);
        }).ToList();

        var commands = new List<TimedCommand>();
        // Most runs drain and take it back at some point (of the announce, the unbind, the drain, or after it).
        if (rng.Next(4) > 0)
        {
            var listener = rng.Next(4) == 0 ? listeners[rng.Next(listeners.Count)] : null;
            var drainAt = 10 * rng.Next(0, 200);
            commands.Add(new TimedCommand(Ms(drainAt), new Begin(DrainReason.Admin, Exit: false, Listener: listener)));
            commands.Add(new TimedCommand(Ms(drainAt + 10 * rng.Next(0, 200)), new Undrain(listener)));
        }
        for (var i = rng.Next(0, 6); i > 0; i--)
        {
            var at = Ms(10 * rng.Next(0, 400));
            var listener = rng.Next(4) == 0 ? listeners[rng.Next(listeners.Count)] : null;
            object command = rng.Next(10) switch
            {
                < 4 => new Begin(DrainReason.Admin, Exit: false, Listener: listener),
                < 7 => new Undrain(listener),
                < 9 => new Begin(DrainReason.Shutdown, Exit: true),
                _ => Force.Instance,
            };
            commands.Add(new TimedCommand(at, command));
        }
        var hold = rng.Next(4) == 0 ? new Dictionary<string, TimeSpan> { [listeners[0]] = Ms(10 * rng.Next(0, 400) + 7) } : null;
        var scenario = new Scenario(listeners, connections, [], Signal: TimeSpan.Zero, Announce: announce, Deadline: deadline);
        return (scenario, new SimulationOptions(Commands: commands, HoldUnbind: hold));
    }
}
