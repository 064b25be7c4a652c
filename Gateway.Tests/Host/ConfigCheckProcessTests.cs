using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Configuration;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Host;

/// <summary>
/// The real executable on files that used to hang it, crash it, or pass <c>check</c> and fail <c>run</c>: exit 2 with the
/// file, line and key, before any socket is bound; and variables from its own environment.
/// </summary>
public sealed class ConfigCheckProcessTests : IDisposable
{
    private static readonly TimeSpan ExitLimit = TimeSpan.FromSeconds(30);
    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-check-process-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string> HangsAndCrashes() => new()
    {
        // Spun for ever in `check`; grew a reloading gateway to gigabytes.
        { "check", "unclosed list" },
        { "run", "unclosed list" },
        // Overflowed the stack, which no handler can catch: the process died with nothing drained.
        { "check", "a self-referencing substitution" },
        { "run", "a self-referencing substitution" },
        // Passed `check`; `run` bound every listener, then exited 1 with a stack trace.
        { "run", "an akka log level that does not exist" },
    };

    [Theory]
    [MemberData(nameof(HangsAndCrashes))]
    public async Task The_executable_exits_2_with_one_line_naming_the_file_the_line_and_the_key(string command, string name)
    {
        var bad = MalformedConfigs.Named(name);
        var path = bad.WriteTo(_folder);

        await using var gateway = GatewayProcess.Start(command, "--config", path);

        Assert.Equal(2, await gateway.WaitForExitAsync(ExitLimit));
        var lines = gateway.Output.Where(l => l.Length > 0).ToList();
        Assert.Single(lines);
        MalformedConfigs.AssertNamed(bad, path, lines);
    }

    [Fact]
    public async Task An_actor_system_that_would_not_start_exits_2_before_any_listener_binds()
    {
        // A port another socket holds: a gateway that tried to bind it would say "in use" instead.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var path = Path.Combine(_folder, "gateway.conf");
        await File.WriteAllTextAsync(path, $$"""
            gateway {
              listeners.public { address = "{{taken.LocalEndpoint}}" }
              admin.address = "127.0.0.1:0"
              routes.hello { listener = public, direct-response { status = 200 } }
            }
            akka.actor.default-dispatcher.type = NoSuchDispatcher
            """);

        await using var gateway = GatewayProcess.StartWithConfigFile(path);

        Assert.Equal(2, await gateway.WaitForExitAsync(ExitLimit));
        var line = Assert.Single(gateway.Output, l => l.Length > 0);
        Assert.StartsWith($"gateway: configuration error: {path}:6: akka.actor.default-dispatcher: the actor system does not start with it: ", line);
        Assert.DoesNotContain("in use", line);
    }

    [Fact]
    public async Task An_actor_system_that_fails_at_its_start_exits_2_with_the_reason_in_one_line()
    {
        // The remoting port of a cluster node is taken: only starting the actor system finds it (it binds).
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var path = Path.Combine(_folder, "node.conf");
        await File.WriteAllTextAsync(path, $$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              routes.hello { listener = public, direct-response { status = 200 } }
              cluster { enabled = on, port = {{port}}, seed-nodes = ["127.0.0.1:{{port}}"] }
            }
            """);

        await using var gateway = GatewayProcess.StartWithConfigFile(path);

        Assert.Equal(2, await gateway.WaitForExitAsync(ExitLimit));
        Assert.StartsWith($"gateway: the gateway did not start: Failed to bind to [127.0.0.1:{port}]", gateway.Output.Last(l => l.StartsWith("gateway: ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Check_reads_a_variable_from_its_environment_and_names_it_when_it_is_unset()
    {
        var path = Path.Combine(_folder, "gateway.conf");
        await File.WriteAllTextAsync(path, """
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin { address = "127.0.0.1:0", token = ${GATEWAY_TEST_ADMIN_TOKEN} }
              routes.hello { listener = public, direct-response { status = 200 } }
            }
            """);

        await using var set = GatewayProcess.Start(new Dictionary<string, string?> { ["GATEWAY_TEST_ADMIN_TOKEN"] = "a-token-of-twenty-chars" }, "config", "--config", path, "--json");
        await using var unset = GatewayProcess.Start(new Dictionary<string, string?> { ["GATEWAY_TEST_ADMIN_TOKEN"] = null }, "check", "--config", path);

        Assert.Equal(0, await set.WaitForExitAsync(ExitLimit));
        Assert.Contains("\"token\":\"***\"", set.OutputText);
        Assert.Equal(2, await unset.WaitForExitAsync(ExitLimit));
        Assert.StartsWith($"gateway: configuration error: {path}:3:44: gateway.admin.token: ${{GATEWAY_TEST_ADMIN_TOKEN}} is not set", unset.OutputText);
    }
}
