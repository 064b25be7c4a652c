using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Host;

/// <summary>The real process refuses what it cannot run: exit 2, one line naming file, key and problem, nothing bound.</summary>
public sealed class StartupErrorTests
{
    [Fact]
    public async Task A_bad_config_file_exits_2_with_one_line_naming_the_file_and_the_key()
    {
        await using var gateway = GatewayProcess.StartWithConfig("""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              routes.api { listener = public, path-prefix = "/", upstream = nowhere }
            }
            """);

        Assert.Equal(2, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        var line = Assert.Single(gateway.Output, l => l.Length > 0);
        Assert.Equal($"gateway: configuration error: {gateway.ConfigPath}:3: gateway.routes.api.upstream: unknown upstream \"nowhere\" (no upstream is configured)", line);
    }

    [Fact]
    public async Task An_address_in_use_exits_2_naming_the_listener_key()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        await using var gateway = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.web { address = "{{taken.LocalEndpoint}}" }
              admin.address = "127.0.0.1:0"
              routes.r { listener = web, direct-response { status = 200, body = "x" } }
            }
            """);

        Assert.Equal(2, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("gateway.listeners.web.address: the address is already in use", gateway.OutputText);
    }

    [Fact]
    public async Task A_missing_file_and_an_unknown_argument_exit_2_and_help_exits_0()
    {
        await using var missing = GatewayProcess.Start("--config", "/nonexistent/gateway.conf");
        Assert.Equal(2, await missing.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("/nonexistent/gateway.conf: cannot read the file: no such file", missing.OutputText);

        await using var unknown = GatewayProcess.Start("--bogus");
        Assert.Equal(2, await unknown.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Unrecognized command or argument '--bogus'", unknown.OutputText);

        await using var help = GatewayProcess.Start("--help");
        Assert.Equal(0, await help.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("Gateway.Host [command] [options]", help.OutputText);
        Assert.Contains("Exit codes: 0 ok, 1 forced or failed operation, 2 bad config or usage.", help.OutputText);
    }
}
