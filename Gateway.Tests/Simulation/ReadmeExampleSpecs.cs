using Gateway.Lifecycle;
using Xunit;

namespace Gateway.Tests.Simulation;

/// <summary>The example of the README section "Simulating a shutdown in your tests", kept passing here.</summary>
public sealed class ReadmeExampleSpecs
{
    [Fact]
    public void My_drain_settings_cut_only_the_endless_stream()
    {
        // Signal at 1 s, announce 5 s, deadline 30 s. Our slowest request takes 20 s; one client holds an SSE stream.
        var scenario = new Scenario(
            Listeners: ["public"],
            Connections:
            [
                new ConnectionSpec("public", ConnectionKind.Idle),
                new ConnectionSpec("public", ConnectionKind.Request, Length: TimeSpan.FromSeconds(20)),
                new ConnectionSpec("public", ConnectionKind.Stream, Length: TimeSpan.FromMinutes(10)),
            ],
            Upstreams: [new UpstreamSpec("backend")],
            Signal: TimeSpan.FromSeconds(1), Announce: TimeSpan.FromSeconds(5), Deadline: TimeSpan.FromSeconds(30));

        var result = GatewaySimulation.Run(scenario);

        Assert.Equal(new DrainCounts(Completed: 2, Forced: 1, Crashed: 0), result.Complete!.Counts);
        Assert.Equal(TimeSpan.FromSeconds(31), result.CompletedAt); // the stream is cut at the deadline
        Assert.Equal(TimeSpan.FromSeconds(20), result.Connections[1].ClosedAt - result.Start); // the request was not
        Assert.Empty(DrainProperties.Check(result)); // and every drain rule held
    }
}
