using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Gateway.Tests.Simulation;

/// <summary>
/// The drain rules checked on generated scenarios played against the real actor tree. A failure prints the seed (set
/// <c>GATEWAY_SIM_SEED</c> to replay it alone), the shrunk scenario, the rules it broke and its timeline.
/// </summary>
public sealed class DrainPropertySpecs(ITestOutputHelper output)
{
    private const int Cases = 200;

    [Fact]
    public void Generated_shutdowns_keep_every_drain_rule() => Check(ScenarioGenerator.Focus.Mixed, firstSeed: 1_000);

    [Fact]
    public void A_second_signal_forces_at_once() => Check(ScenarioGenerator.Focus.SecondSignal, firstSeed: 2_000);

    [Fact]
    public void A_crash_mid_drain_does_not_delay_completion() => Check(ScenarioGenerator.Focus.Crashes, firstSeed: 3_000);

    private void Check(ScenarioGenerator.Focus focus, int firstSeed)
    {
        var seeds = Environment.GetEnvironmentVariable("GATEWAY_SIM_SEED") is { } one && int.TryParse(one, out var s)
            ? [s]
            : Enumerable.Range(firstSeed, Cases);
        var clock = Stopwatch.StartNew();
        var played = 0;
        foreach (var seed in seeds)
        {
            var scenario = ScenarioGenerator.Generate(seed, focus);
            var broken = DrainProperties.Check(GatewaySimulation.Run(scenario));
            played++;
            if (broken.Count == 0) continue;

            var shrunk = ScenarioGenerator.Minimize(scenario, c => DrainProperties.Check(GatewaySimulation.Run(c)).Count > 0);
            var result = GatewaySimulation.Run(shrunk);
            throw new XunitException(
                $"seed {seed} ({focus}) breaks the drain rules (replay: GATEWAY_SIM_SEED={seed}).\n" +
                $"Original {scenario}\nShrunk {shrunk}\nBroken:\n  {string.Join("\n  ", DrainProperties.Check(result))}\n" +
                $"Timeline of the shrunk scenario:\n{result.Describe()}");
        }
        output.WriteLine($"{played} {focus} scenario(s) kept every rule in {clock.ElapsedMilliseconds} ms");
    }
}
