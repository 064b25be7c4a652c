using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Cli;

/// <summary><c>status</c>: the requests each listener answered and their rate; <c>--watch</c> redrawn in place until Ctrl+C.</summary>
public sealed partial class StatusCommandTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    private static async Task SendAsync(System.Net.IPEndPoint listener, int count)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        for (var i = 0; i < count; i++) (await client.GetAsync($"http://{listener}/hello")).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Status_shows_the_requests_each_listener_answered_and_their_rate()
    {
        await using var gateway = GatewayProcess.StartWithConfig(OperatorCli.Config(_upstream));
        var addresses = await gateway.WaitUntilReadyAsync();
        var admin = addresses["admin"].ToString();
        await SendAsync(addresses["public"], 30);

        // The rate is read from the gateway's samples: wait until one was taken after the requests.
        async Task<JsonElement> ListenerAsync()
        {
            await using var json = await OperatorCli.RunAsync("status", "--admin", admin, "--json");
            return JsonDocument.Parse(json.Output.Single(l => l.StartsWith('{'))).RootElement.GetProperty("listeners")[0];
        }
        await Wait.UntilAsync(async () => (await ListenerAsync()).GetProperty("requestsPerSecond") is { ValueKind: JsonValueKind.Number } rate && rate.GetDouble() > 0,
            limit: TimeSpan.FromSeconds(30));

        await using var status = await OperatorCli.RunAsync("status", "--admin", admin);
        output.WriteLine(status.OutputText);
        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"listener +address +accepting +open +active +in-flight +streams +forced +requests +req/s", status.OutputText);
        var row = Row().Match(status.OutputText);
        Assert.True(row.Success, status.OutputText);
        Assert.Equal(30, int.Parse(row.Groups[1].Value));
        Assert.True(double.Parse(row.Groups[2].Value, CultureInfo.InvariantCulture) > 0);

        var listener = await ListenerAsync();
        Assert.Equal(30, listener.GetProperty("requests").GetInt64());
        Assert.True(listener.GetProperty("requestsPerSecond").GetDouble() > 0);
    }

    [TmuxFact]
    public async Task Status_watch_in_a_terminal_redraws_its_table_in_place()
    {
        await using var gateway = GatewayProcess.StartWithConfig(OperatorCli.Config(_upstream));
        var addresses = await gateway.WaitUntilReadyAsync();
        await using var terminal = await Terminal.StartAsync($"dotnet {GatewayProcess.HostDll} status --admin {addresses["admin"]} --watch");

        string screen = "";
        await Wait.UntilAsync(async () => Row().Match(screen = await terminal.ScreenAsync()) is { Success: true } r && r.Groups[1].Value == "0",
            limit: TimeSpan.FromSeconds(30));
        var firstClock = Clock().Match(screen).Value;
        await SendAsync(addresses["public"], 7);
        await Wait.UntilAsync(async () => Row().Match(screen = await terminal.ScreenAsync()) is { Success: true } r && r.Groups[1].Value == "7",
            limit: TimeSpan.FromSeconds(30));
        output.WriteLine(screen);

        Assert.Single(screen.Split('\n'), l => l.StartsWith("listener ", StringComparison.Ordinal));
        Assert.Single(screen.Split('\n'), l => l.Contains("generation 1"));
        Assert.NotEqual(firstClock, Clock().Match(screen).Value);

        // It runs until interrupted, then ends (tmux does not always tell by what).
        Assert.Null(await terminal.EndedAsync());
        await terminal.SendKeysAsync("C-c");
        string? ended = null;
        await Wait.UntilAsync(async () => (ended = await terminal.EndedAsync()) is not null, limit: TimeSpan.FromSeconds(10));
        output.WriteLine($"after Ctrl+C: {ended}");
    }

    [GeneratedRegex(@"(?m)^public\s+127\.0\.0\.1:\d+\s+yes\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+\s+(\d+)\s+([\d.]+|-)\s*$")]
    private static partial Regex Row();

    [GeneratedRegex(@"\d\d:\d\d:\d\d  generation")]
    private static partial Regex Clock();
}
