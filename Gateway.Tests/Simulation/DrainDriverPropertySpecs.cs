using Gateway.Lifecycle;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;
using static Gateway.Lifecycle.DrainCommands;

namespace Gateway.Tests.Simulation;

/// <summary>
/// The one drain driver on generated runs of operator and host commands — drain, undrain, drain again, a listener's
/// drain and undrain, a signal, a second signal — at random moments against the production tree on virtual time,
/// and on chosen moments for each of its states. Every run must keep <see cref="DrainDriverProperties"/>.
/// </summary>
public sealed class DrainDriverPropertySpecs(ITestOutputHelper output)
{
    private const int Cases = 300;

    [Fact]
    public void Generated_drains_undrains_and_signals_keep_every_driver_rule()
    {
        var seeds = Environment.GetEnvironmentVariable("GATEWAY_SIM_SEED") is { } one && int.TryParse(one, out var s)
            ? [s]
            : Enumerable.Range(5_000, Cases);
        var undrainsServed = 0;
        var exits = 0;
        var played = 0;
        foreach (var seed in seeds)
        {
            played++;
            var (scenario, options) = DriverScenarios.Generate(seed);
            var run = GatewaySimulation.Run(scenario, options);
            var broken = DrainDriverProperties.Check(run);
            if (broken.Count > 0)
                throw new XunitException($"seed {seed} breaks the driver rules (replay: GATEWAY_SIM_SEED={seed}).\n{scenario}" +
                                         $"commands:\n  {string.Join("\n  ", options.Commands!)}\nBroken:\n  {string.Join("\n  ", broken)}\n" +
                                         $"Timeline:\n{run.Describe()}");
            undrainsServed += run.Answers.Count(a => a.Answer is Undrained { Result: UndrainResult.Serving });
            exits += run.Phases.Any(p => p.Phase == GatewayPhase.Exiting) ? 1 : 0;
        }
        output.WriteLine($"{played} runs: {undrainsServed} undrains served, {exits} runs exited");
        // The generator must reach what the rules are about, or passing says nothing.
        if (played < Cases) return;
        Assert.True(undrainsServed > Cases / 3, $"only {undrainsServed} undrains were served");
        Assert.True(exits > Cases / 4, $"only {exits} runs exited");
    }

    public static TheoryData<string> States => new() { "Serving", "Announcing", "Unbinding", "Draining", "Drained", "Resuming" };

    /// <summary>
    /// A shutdown's signal landing in each state of the driver, and its second signal right after: what is left is
    /// forced at once, every connection ends (the stuck one forced exactly once), and the process leaves.
    /// </summary>
    [Theory]
    [MemberData(nameof(States))]
    public void A_second_signal_at_every_state_forces_what_is_left_at_once_and_exits(string state)
    {
        static TimeSpan ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
        var scenario = new Scenario(["l0"],
            [new ConnectionSpec("l0", ConnectionKind.Stuck), new ConnectionSpec("l0", ConnectionKind.Request, Length: ms(9_005)), new ConnectionSpec("l0", ConnectionKind.Idle)],
            [], Signal: TimeSpan.Zero, Announce: ms(1_000), Deadline: ms(20_000));
        var admin = new Begin(DrainReason.Admin, Exit: false);
        var signal = new Begin(DrainReason.Shutdown, Exit: true);
        // Unbinding and Resuming last while l0's first unbind is held (until 3 s): a force cannot shorten that wait.
        (TimedCommand[] Before, TimeSpan First, TimeSpan Second, TimeSpan? Hold) plan = state switch
        {
            "Serving" => ([], ms(100), ms(100), null),
            "Announcing" => ([new(ms(100), admin)], ms(500), ms(600), null),
            "Unbinding" => ([new(ms(100), admin)], ms(2_000), ms(2_100), ms(3_000)),
            "Draining" => ([new(ms(100), admin)], ms(4_000), ms(4_100), null),
            "Drained" => ([new(ms(100), admin)], ms(21_000), ms(21_000), null), // drained at the admin drain's deadline
            "Resuming" => ([new(ms(100), admin), new(ms(1_500), new Undrain())], ms(2_000), ms(2_100), ms(3_000)),
            _ => throw new ArgumentOutOfRangeException(nameof(state)),
        };
        var run = GatewaySimulation.Run(scenario, new SimulationOptions(
            Commands: [.. plan.Before, new(plan.First, signal), new(plan.Second, Force.Instance)],
            HoldUnbind: plan.Hold is { } hold ? new Dictionary<string, TimeSpan> { ["l0"] = hold } : null));
        output.WriteLine(run.Describe());

        var landed = run.Phases.LastOrDefault(p => p.At < plan.First, (At: TimeSpan.Zero, Phase: GatewayPhase.Serving)).Phase;
        Assert.Equal(state, landed.ToString()); // the first signal landed in the state under test
        AssertKeepsEveryRule(run);
        var exited = Assert.Single(run.Phases, p => p.Phase == GatewayPhase.Exiting);
        var bound = plan.Hold is { } h && h > plan.Second ? h : plan.Second;
        Assert.True(exited.At <= bound + DrainProperties.Tick, $"exited at {exited.At.TotalMilliseconds}ms, the second signal came at {plan.Second.TotalMilliseconds}ms");
        Assert.All(run.Ends, c => Assert.NotEqual(ConnectionEnd.Open, c.End));
        Assert.Equal(1, run.Ends[0].Aborts); // the stuck request: forced once
    }

    /// <summary>A listener that has drained answers a later drain again; the gateway counts it (and its connections) once.</summary>
    [Fact]
    public void A_drained_listener_asked_again_by_a_second_signal_is_counted_once()
    {
        static TimeSpan ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
        var scenario = new Scenario(["l0", "l1"],
            [new ConnectionSpec("l0", ConnectionKind.Idle), new ConnectionSpec("l0", ConnectionKind.Request, Length: ms(305)),
             new ConnectionSpec("l1", ConnectionKind.Stuck)],
            [], Signal: TimeSpan.Zero, Announce: TimeSpan.Zero, Deadline: ms(5_000));
        // l0 has drained (and waits to be stopped) while l1's stuck request holds the gateway; then the second signal.
        var run = GatewaySimulation.Run(scenario, new SimulationOptions(Commands:
            [new(ms(100), new Begin(DrainReason.Shutdown, Exit: true)), new(ms(1_000), Force.Instance)]));
        output.WriteLine(run.Describe());

        Assert.Equal(new DrainCounts(Completed: 2, Forced: 1, Crashed: 0), run.Complete?.Counts);
        AssertKeepsEveryRule(run);
    }

    /// <summary>Drain, undrain, drain again: each drain counts its own connections, and the listeners accept in between.</summary>
    [Fact]
    public void Drain_undrain_and_drain_again_serve_in_between_and_count_each_drain_afresh()
    {
        static TimeSpan ms(int milliseconds) => TimeSpan.FromMilliseconds(milliseconds);
        var scenario = new Scenario(["l0"],
            [new ConnectionSpec("l0", ConnectionKind.Idle), new ConnectionSpec("l0", ConnectionKind.Request, Length: ms(205), OpensAt: ms(1_505))],
            [], Signal: TimeSpan.Zero, Announce: ms(200), Deadline: ms(5_000));
        var run = GatewaySimulation.Run(scenario, new SimulationOptions(Commands:
        [
            new(ms(100), new Begin(DrainReason.Admin, Exit: false)),
            new(ms(1_000), new Undrain()),
            new(ms(1_700), new Begin(DrainReason.Admin, Exit: false)),
            new(ms(3_000), new Begin(DrainReason.Shutdown, Exit: true)),
        ]));
        output.WriteLine(run.Describe());

        AssertKeepsEveryRule(run);
        Assert.Equal(
            [GatewayPhase.Announcing, GatewayPhase.Unbinding, GatewayPhase.Draining, GatewayPhase.Drained, GatewayPhase.Resuming, GatewayPhase.Serving,
             GatewayPhase.Announcing, GatewayPhase.Unbinding, GatewayPhase.Draining, GatewayPhase.Drained, GatewayPhase.Draining, GatewayPhase.Exiting],
            run.Phases.Select(p => p.Phase).ToArray());
        var reports = run.Reports.Select(r => r.Report.Counts).ToList();
        // The idle connection; the request opened after the undrain; the exit from drained, which closed nothing more.
        Assert.Equal([new(1, 0, 0), new(1, 0, 0), new(1, 0, 0)], reports);
        Assert.Equal(1, run.Listeners[0].ResumeCalls);
        Assert.Contains(run.Answers, a => a.Answer is Undrained { Result: UndrainResult.Serving });
    }

    private static void AssertKeepsEveryRule(SimulationResult run)
    {
        var broken = DrainDriverProperties.Check(run);
        Assert.True(broken.Count == 0, string.Join("\n", broken));
    }
}
