using System.Net;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Host;

/// <summary>
/// A SIGHUP that arrives while the gateway is still starting (its config read, Kestrel not yet serving) neither ends
/// the process, as SIGHUP's default action would, nor is lost: the reload is applied once the gateway runs.
/// </summary>
public sealed class EarlyReloadSignalTests
{
    private const int SigHup = 1;

    [Fact]
    public async Task A_SIGHUP_during_startup_is_applied_once_the_gateway_runs_and_does_not_end_it()
    {
        static string Config(string body) => $$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              routes.r { listener = public, path-prefix = "/", direct-response { status = 200, body = "{{body}}" } }
            }
            """;
        await using var gateway = GatewayProcess.StartWithConfig(Config("before"));
        await gateway.WaitForLineAsync("Configuration: ", TimeSpan.FromSeconds(30));
        await File.WriteAllTextAsync(gateway.ConfigPath!, Config("after"));

        gateway.Signal(SigHup);

        var endpoint = (await gateway.WaitUntilReadyAsync())["public"];
        await gateway.WaitForLineAsync("Reloaded ", TimeSpan.FromSeconds(10));
        using var client = new HttpClient();
        Assert.Equal("after", await client.GetStringAsync($"http://{endpoint}/"));
        Assert.False(gateway.Exited.IsCompleted);
    }
}
