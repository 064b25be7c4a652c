using System.Diagnostics;
using Gateway.Lifecycle;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Simulation;

/// <summary>
/// Many connections over 4 listeners drained in one simulation (the benchmark in bench/Simulation runs 100,000).
/// </summary>
public sealed class ScaleSpecs(ITestOutputHelper output)
{
    /// <summary>
    /// A fixed mix: 2 in 5 idle, 2 in 5 with a request that ends during the drain, 1 in 5 stuck (forced at the
    /// deadline), spread round-robin over 4 listeners.
    /// </summary>
    public static Scenario Mix(int connections) => new(
        Listeners: ["l0", "l1", "l2", "l3"],
        Connections: [.. Enumerable.Range(0, connections).Select(i => new ConnectionSpec("l" + i % 4,
            (i % 5) switch { 0 or 1 => ConnectionKind.Idle, 2 or 3 => ConnectionKind.Request, _ => ConnectionKind.Stuck },
            Length: TimeSpan.FromMilliseconds(1_000 + 10 * (i % 1_000) + 5)))],
        Upstreams: [new UpstreamSpec("u0"), new UpstreamSpec("u1")],
        Signal: TimeSpan.FromSeconds(1), Announce: TimeSpan.FromSeconds(2), Deadline: TimeSpan.FromSeconds(30));

    [Fact]
    public void Ten_thousand_connections_over_four_listeners_drain_with_exact_counts()
    {
        const int n = 10_000;
        var clock = Stopwatch.StartNew();
        using var simulation = new GatewaySimulation(Mix(n), new SimulationOptions(Record: false));
        var built = clock.Elapsed;
        var result = simulation.Play();
        output.WriteLine($"{n} connections: built in {built.TotalMilliseconds:0} ms, drained in {(clock.Elapsed - built).TotalMilliseconds:0} ms " +
                         $"({simulation.MailboxRuns} mailbox runs)");

        Assert.Equal(new DrainCounts(Completed: n / 5 * 4, Forced: n / 5, Crashed: 0), result.Complete?.Counts);
        Assert.Equal(DrainOutcome.DeadlineExceeded, result.Complete!.Outcome);
        Assert.Equal(TimeSpan.FromSeconds(31), result.CompletedAt);
        Assert.All(result.Connections, c => Assert.NotEqual(ConnectionEnd.Open, c.End));
        Assert.Empty(DrainProperties.Check(result));
    }
}
