using Gateway.Host;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Host;

/// <summary>The host runs socket work inline on <c>gateway.io-threads</c> socket threads (seen in the real process).</summary>
public sealed class SocketThreadsTests : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(8, 7)]
    public void Auto_leaves_one_core_to_the_rest_and_uses_at_least_one_thread(int cores, int threads) =>
        Assert.Equal(threads, SocketThreads.CountFor(null, cores));

    [Fact]
    public void A_configured_count_wins_over_auto() => Assert.Equal(5, SocketThreads.CountFor(5, 2));

    [Theory]
    [InlineData("io-threads = 3", 3)]
    [InlineData("", -1)]  // auto
    public async Task The_process_serves_on_the_configured_number_of_inline_socket_threads(string setting, int expected)
    {
        if (expected < 0) expected = SocketThreads.CountFor(null, Environment.ProcessorCount);
        await using var gateway = GatewayProcess.StartWithConfig(_upstream.GatewayConfig("deadline = 10s") + "\ngateway { " + setting + " }");
        var addresses = await gateway.WaitUntilReadyAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        Assert.Equal("hello from upstream", await client.GetStringAsync($"http://{addresses["public"]}/hello"));

        await gateway.WaitForLineAsync($"Sockets: {expected} socket thread\\(s\\), completions inline", TimeSpan.FromSeconds(5));
        var socketThreads = Directory.GetDirectories($"/proc/{gateway.Pid}/task")
            .Count(task => File.Exists($"{task}/comm") && File.ReadAllText($"{task}/comm").Trim() == ".NET Sockets");
        Assert.Equal(expected, socketThreads);

        gateway.Signal(GatewayProcess.SigTerm);
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}

/// <summary>The runtime settings the host ships with, chosen by measurement (bench/throughput).</summary>
public sealed class RuntimeSettingsTests
{
    [Fact]
    public void The_host_ships_with_workstation_gc()
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(GatewayProcess.HostDll, ".runtimeconfig.json")))!;
        Assert.Equal(false, (bool?)config["runtimeOptions"]?["configProperties"]?["System.GC.Server"]);
    }
}
