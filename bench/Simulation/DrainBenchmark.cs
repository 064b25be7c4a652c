using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Running;
using Gateway.Tests.Simulation;

namespace Gateway.Bench.Simulation;

/// <summary>
/// 100,000 simulated connections over 4 listeners (the mix of <see cref="ScaleSpecs.Mix"/>: idle, in flight, stuck),
/// on the production actor tree. Times and allocations are per simulated connection (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 5, invocationCount: 1)]
public class DrainBenchmark
{
    public const int Connections = 100_000;

    private readonly Scenario _scenario = ScaleSpecs.Mix(Connections);
    private GatewaySimulation? _simulation;

    [IterationSetup(Target = nameof(Drain))]
    public void BuildForDrain() => _simulation = new GatewaySimulation(_scenario, new SimulationOptions(Record: false));

    /// <summary>Actor system, gateway, 4 listeners and one connection actor per accepted connection.</summary>
    [Benchmark(OperationsPerInvoke = Connections)]
    public GatewaySimulation BuildTree() => _simulation = new GatewaySimulation(_scenario, new SimulationOptions(Record: false));

    /// <summary>Announce, stop accepting, drain, deadline, DrainComplete: the whole shutdown.</summary>
    [Benchmark(OperationsPerInvoke = Connections)]
    public SimulationResult Drain()
    {
        var result = _simulation!.Play();
        if (result.Complete?.Counts.Total != Connections) throw new InvalidOperationException($"drain incomplete: {result.Complete}");
        return result;
    }

    [IterationCleanup]
    public void Cleanup()
    {
        _simulation?.Dispose();
        _simulation = null;
    }
}

public static class Program
{
    /// <summary><c>--once [n]</c>: one build and one drain with a stopwatch (a quick check); otherwise BenchmarkDotNet.</summary>
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "--once")
        {
            var n = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : DrainBenchmark.Connections;
            for (var round = 0; round < 3; round++)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var before = GC.GetTotalAllocatedBytes(precise: true);
                using var simulation = new GatewaySimulation(ScaleSpecs.Mix(n), new SimulationOptions(Record: false));
                var built = clock.Elapsed;
                var afterBuild = GC.GetTotalAllocatedBytes(precise: true);
                var result = simulation.Play();
                var drained = clock.Elapsed - built;
                var afterDrain = GC.GetTotalAllocatedBytes(precise: true);
                Console.WriteLine($"{n} connections: build {built.TotalMilliseconds:0} ms ({(afterBuild - before) / n} B/conn), " +
                                  $"drain {drained.TotalMilliseconds:0} ms ({(afterDrain - afterBuild) / n} B/conn): {result.Complete}");
            }
            return;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
