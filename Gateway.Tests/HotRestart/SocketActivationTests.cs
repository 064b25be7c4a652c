using System.Net;
using System.Net.Sockets;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.HotRestart;

/// <summary>systemd socket activation (LISTEN_FDS), driven by systemd's own activator on loopback.</summary>
public sealed class SocketActivationTests
{
    private const string Activator = "/usr/bin/systemd-socket-activate";

    [SystemdFact]
    public async Task A_socket_passed_by_systemd_is_served_and_the_first_connection_waits_for_the_start()
    {
        Assert.True(File.Exists(Activator), $"{Activator} is missing: apt-get install systemd");
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var config = Path.Combine(Path.GetTempPath(), $"gateway-test-{Guid.NewGuid():N}.conf");
        await File.WriteAllTextAsync(config, $$"""
            gateway {
              listeners.public { address = "127.0.0.1:{{port}}" }
              admin.address = "127.0.0.1:0"
              routes.hi { listener = public, path-prefix = "/", direct-response { status = 200, body = "activated" } }
            }
            """);
        await using var gateway = GatewayProcess.StartCommand(Activator,
            ["-l", $"127.0.0.1:{port}", "--fdname=public", "dotnet", GatewayProcess.HostDll, "--config", config]);
        await gateway.WaitForLineAsync($"Listening on 127.0.0.1:{port}", TimeSpan.FromSeconds(10));

        // The activator starts the gateway on this first connection, which the kernel queues meanwhile.
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Assert.Equal("activated", await client.GetStringAsync($"http://127.0.0.1:{port}/"));
        await gateway.WaitForLineAsync($@"Listener public listening on http://127\.0\.0\.1:{port} \(socket taken over\)", TimeSpan.FromSeconds(5));

        gateway.Signal(GatewayProcess.SigTerm);
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }
}
