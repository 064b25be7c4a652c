using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text.RegularExpressions;
using Gateway.Tests.Deploy;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Cli;

/// <summary>
/// Every command of the README, as written, run from a fresh folder that holds only <c>my.conf</c> (the user's
/// folder; the changes are that <c>--project Gateway.Host</c> names the repository's project and that a loopback
/// address moves to the free port it got in my.conf): the build-and-run
/// commands, the operator commands against the gateway they started, the publish and its launcher. The two that
/// cannot run here are named with the test that covers them.
/// </summary>
public sealed partial class ReadmeCommandsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan BuildLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan PublishLimit = TimeSpan.FromMinutes(5);

    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-readme-").FullName;
    private readonly List<GatewayProcess> _processes = [];
    private readonly List<int> _gateways = [];
    private Serving? _serving;

    /// <summary>The free port each port of the README's example got here (my.conf and the commands alike).</summary>
    private readonly Dictionary<string, int> _ports = [];

    /// <summary>The variables the command being run sets for its process.</summary>
    private Dictionary<string, string?> _environment = [];

    /// <summary>The gateway running on my.conf now.</summary>
    private sealed record Serving(int Pid, int Generation, bool Drained);

    public Task InitializeAsync()
    {
        File.WriteAllText(Path.Combine(_folder, "my.conf"), RunnableHere(ReadmeCommands.Hocon("## Configure it")));
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Every_command_in_the_README_works_as_written_from_the_users_folder()
    {
        var commands = ReadmeCommands.All().Distinct().ToList();
        Assert.Contains("dotnet run --project Gateway.Host", commands);
        foreach (var command in commands)
        {
            output.WriteLine($"$ {command}");
            await RunAsync(command);
        }
    }

    [Fact]
    public void The_README_names_every_test_that_needs_a_Debian_package_and_CI_installs_it()
    {
        var readme = ReadmeCommands.Text;
        var ci = File.ReadAllText(Path.Combine(ReadmeCommands.Repo, ".ci", "run"));
        var needs = typeof(ReadmeCommandsTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods().Select(m => (Type: t, Attribute: m.GetCustomAttribute<DebianFactAttribute>())))
            .Where(x => x.Attribute is not null).ToList();
        Assert.NotEmpty(needs);
        foreach (var (type, attribute) in needs)
        {
            Assert.Contains($"`{type.Name}", readme);
            foreach (var package in attribute!.Packages.Split(' '))
            {
                Assert.Contains($"`{package}`", readme);
                Assert.Matches($@"(apt-get install .*|missing=.*)\b{Regex.Escape(package)}\b", ci);
            }
        }
        Assert.Contains("REQUIRE_PACKAGES=1", ci);
    }

    private async Task RunAsync(string command)
    {
        var words = BareAddress().Replace(command, m => $"{m.Groups[1].Value}:{_ports.GetValueOrDefault(m.Groups[2].Value, int.Parse(m.Groups[2].Value))}").Split(' ');
        // A command may start with variables for the gateway's environment (NAME=value …), as a shell reads it.
        var assignments = words.TakeWhile(w => Assignment().IsMatch(w)).ToArray();
        _environment = assignments.Select(w => w.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1]);
        words = words[assignments.Length..];
        switch (words)
        {
            case ["dotnet", "test"]:
                output.WriteLine("  (not run: it is the run that runs this test)");
                return;
            case ["podman", "build", ..]:
                Assert.Matches(ReadmeCommands.ImageBuild(), command);
                output.WriteLine("  (not run: no container engine here; ContainerRecipeTests checks the recipe)");
                return;
            case ["dotnet", "publish", "Gateway.Host", .. var rest]:
                await PublishAsync(command, [Path.Combine(ReadmeCommands.Repo, "Gateway.Host"), .. rest]);
                return;
            case ["dotnet", "run", "--project", "Gateway.Host"]:
                await GatewayAsync(["dotnet", "run", "--project", Project], []);
                return;
            case ["dotnet", "run", "--project", "Gateway.Host", "--", .. var args]:
                await GatewayAsync(["dotnet", "run", "--project", Project, "--", .. args], args);
                return;
            case [var launcher, .. var args] when launcher == $"{ReadmeCommands.PublishOutput()}/gateway":
                var path = Path.Combine(_folder, launcher);
                Assert.True(File.Exists(path), $"the README runs {launcher} before its dotnet publish made it");
                await GatewayAsync([path, .. args], args);
                return;
            default:
                Assert.Fail($"the README's `{command}`: this test does not know how to run it; teach it, or say why it cannot run here");
                return;
        }
    }

    private static string Project => Path.Combine(ReadmeCommands.Repo, "Gateway.Host");

    private async Task PublishAsync(string command, string[] args)
    {
        await using var publish = await ExitedAsync(["dotnet", "publish", .. args], PublishLimit);
        Assert.True(publish.ExitCode == 0, $"{command}: exit {publish.ExitCode}\n{publish.OutputText}");
        var launcher = Path.Combine(_folder, ReadmeCommands.PublishOutput(), "gateway");
        Assert.True(File.Exists(launcher), $"{command} made no launcher {launcher}");
        Assert.True(OperatingSystem.IsLinux() && File.GetUnixFileMode(launcher).HasFlag(UnixFileMode.UserExecute), $"{launcher} is not executable");

        // What the container recipe copies from the build context is what this publish made (or is in the repository).
        foreach (var (source, _) in ContainerRecipeTests.Recipe().Copies)
        {
            var inContext = source.StartsWith(ReadmeCommands.PublishOutput() + "/", StringComparison.Ordinal)
                ? Path.Combine(_folder, source)
                : Path.Combine(ReadmeCommands.Repo, source);
            Assert.True(File.Exists(inContext) || Directory.Exists(inContext), $"the Containerfile copies {source}, which is not there");
        }
        Assert.Equal(Path.GetFileName(DeployFilesTests.Launcher), Path.GetFileName(launcher));
    }

    /// <summary>A gateway command: one of the operator commands, or a gateway that runs.</summary>
    private async Task GatewayAsync(string[] argv, string[] args)
    {
        switch (args)
        {
            case ["check", "--config", "my.conf"]:
                await OperatorAsync(argv, @"^ok: /\S+/my\.conf: \d+ listener");
                return;
            case ["config", "--config", "my.conf"]:
                await OperatorAsync(argv, @"^# effective configuration of /\S+/my\.conf");
                return;
            case ["status", "--config", "my.conf"]:
                await EnsureServingAsync();
                await OperatorAsync(argv, @"^generation \d+  pid \d+  ready", @"requests +req/s");
                return;
            case ["restart", "--config", "my.conf"]:
                await EnsureServingAsync();
                var restart = await OperatorAsync(argv, @"generation \d+ serves; generation \d+ has exited");
                var started = await restart.WaitForLineAsync(@"started generation (\d+) \(pid (\d+)", TimeSpan.FromSeconds(1));
                var generation = int.Parse(started.Groups[1].Value);
                Track(int.Parse(started.Groups[2].Value), generation);
                Assert.True(File.Exists(Path.Combine(_folder, $"my.gen{generation}.log")), "restart writes the new process's output beside the config");
                return;
            case ["upstreams", "--config", "my.conf"]:
                await EnsureServingAsync();
                await OperatorAsync(argv, @"^upstream +endpoint +state", @"^api +127\.0\.0\.1:\d+ ");
                return;
            case ["drain", "--config", "my.conf", "--upstream", "api", "--endpoint", _, "--wait"]:
                await EnsureServingAsync();
                await OperatorAsync(argv, "drained: its requests finished, its pooled connections are closed");
                return;
            case ["undrain", "--config", "my.conf", "--upstream", "api", "--endpoint", var backend]:
                await EnsureServingAsync();
                await OperatorAsync(argv, $@"^endpoint {Regex.Escape(backend)} of upstream api: undrained, (healthy|unhealthy|ejected) \(node\)");
                var listed = await OperatorAsync([.. argv[..Array.IndexOf(argv, "undrain")], "upstreams", "--config", "my.conf"]);
                Assert.DoesNotMatch(new Regex($@"^api +{Regex.Escape(backend)} +draine", RegexOptions.Multiline), listed.OutputText);
                return;
            case ["drain", "--config", "my.conf", "--wait"]:
                await EnsureServingAsync();
                await OperatorAsync(argv, "drained: every connection finished on its own");
                _serving = _serving! with { Drained = true };
                return;
            case ["undrain", "--config", "my.conf"]:
                // Takes back the drain the README's drain command left (draining first when it did not run before).
                if (_serving is not { Drained: true }) await RunAsync("dotnet run --project Gateway.Host -- drain --config my.conf --wait");
                await OperatorAsync(argv, "serving again: every listener accepts connections, ready");
                _serving = _serving! with { Drained = false };
                return;
            case []:
                await DefaultRunAsync(argv);
                return;
            case ["--config", "my.conf"]:
                await StopServingAsync();
                await RunOnMyConfAsync(argv, expectedGeneration: 1);
                return;
            case ["--config", "my.conf", "--hot-restart"]:
                await EnsureServingAsync();
                var before = _serving!;
                await RunOnMyConfAsync(argv, expectedGeneration: before.Generation + 1);
                await Wait.UntilAsync(() => !Directory.Exists($"/proc/{before.Pid}"), limit: TimeSpan.FromSeconds(60));
                return;
            default:
                Assert.Fail($"the README's gateway command `{string.Join(' ', args)}`: this test does not know how to run it");
                return;
        }
    }

    private async Task<GatewayProcess> OperatorAsync(string[] argv, params string[] expected)
    {
        var command = await ExitedAsync(argv, BuildLimit);
        output.WriteLine(Indent(command.OutputText));
        Assert.True(command.ExitCode == 0, $"exit {command.ExitCode}\n{command.OutputText}");
        foreach (var pattern in expected) Assert.Matches(new Regex(pattern, RegexOptions.Multiline), command.OutputText);
        return command;
    }

    /// <summary>The gateway on its embedded default (127.0.0.1:8080, admin 15000): serves the welcome page, drains on SIGTERM.</summary>
    private async Task DefaultRunAsync(string[] argv)
    {
        var gateway = Start(argv);
        var first = await gateway.WaitForLineAsync(@"Gateway generation 1 ready \(pid (\d+)\)|configuration error: .*already in use", BuildLimit);
        if (!first.Value.StartsWith("Gateway", StringComparison.Ordinal))
        {
            // Another program holds a port of the default config on this machine: the command did what it says it does.
            output.WriteLine($"  (the default ports are taken here: {first.Value})");
            Assert.Equal(2, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            return;
        }
        var pid = Track(int.Parse(first.Groups[1].Value), 1);
        using (var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) })
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("http://127.0.0.1:8080/")).StatusCode);
        GatewayProcess.Signal(pid, GatewayProcess.SigTerm);
        Assert.Equal(0, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private async Task RunOnMyConfAsync(string[] argv, int expectedGeneration)
    {
        var gateway = Start(argv);
        var ready = await gateway.WaitForLineAsync(@"Gateway generation (\d+) ready \(pid (\d+)\)", BuildLimit);
        Assert.Equal(expectedGeneration, int.Parse(ready.Groups[1].Value));
        Track(int.Parse(ready.Groups[2].Value), expectedGeneration);
        var addresses = await gateway.WaitUntilReadyAsync();
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var answer = await client.GetAsync($"http://{addresses["public"]}/api/x");
        Assert.Equal(HttpStatusCode.BadGateway, answer.StatusCode);  // the README's upstream api runs nowhere here
        output.WriteLine($"  generation {expectedGeneration} serves on {addresses["public"]}");
    }

    /// <summary>The operator commands need a gateway that serves on my.conf: the README's own run command starts one.</summary>
    private async Task EnsureServingAsync()
    {
        if (_serving is { Drained: false }) return;
        await StopServingAsync();
        output.WriteLine("  (first: dotnet run --project Gateway.Host -- --config my.conf)");
        await RunOnMyConfAsync(["dotnet", "run", "--project", Project, "--", "--config", "my.conf"], expectedGeneration: 1);
    }

    private async Task StopServingAsync()
    {
        if (_serving is not { } serving) return;
        _serving = null;
        if (!Directory.Exists($"/proc/{serving.Pid}")) return;
        GatewayProcess.Signal(serving.Pid, GatewayProcess.SigTerm);
        await Wait.UntilAsync(() => !Directory.Exists($"/proc/{serving.Pid}"), limit: TimeSpan.FromSeconds(60));
    }

    private int Track(int pid, int generation)
    {
        _gateways.Add(pid);
        _serving = new Serving(pid, generation, Drained: false);
        return pid;
    }

    private GatewayProcess Start(string[] argv)
    {
        var process = GatewayProcess.StartCommand(argv[0], argv[1..], _folder, _environment);
        _processes.Add(process);
        return process;
    }

    private async Task<GatewayProcess> ExitedAsync(string[] argv, TimeSpan limit)
    {
        var process = Start(argv);
        await process.WaitForExitAsync(limit);
        return process;
    }

    /// <summary>The README's example config with every address moved to a free loopback port (nothing else changed).</summary>
    private string RunnableHere(string hocon)
    {
        var ports = _ports;
        return Address().Replace(hocon, m =>
        {
            if (!ports.TryGetValue(m.Groups[2].Value, out var port))
            {
                using var probe = new TcpListener(IPAddress.Loopback, 0);
                probe.Start();
                ports[m.Groups[2].Value] = port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            return $"\"{m.Groups[1].Value}:{port}\"";
        });
    }

    [GeneratedRegex(@"""(127\.0\.0\.1|localhost):(\d+)""")]
    private static partial Regex Address();

    [GeneratedRegex(@"\b(127\.0\.0\.1|localhost):(\d+)\b")]
    private static partial Regex BareAddress();

    [GeneratedRegex(@"^[A-Z_][A-Z0-9_]*=\S*$")]
    private static partial Regex Assignment();

    private static string Indent(string text) => string.Join('\n', text.Split('\n').Select(l => "  " + l));

    public async Task DisposeAsync()
    {
        foreach (var pid in _gateways.Where(p => Directory.Exists($"/proc/{p}")))
        {
            GatewayProcess.Signal(pid, GatewayProcess.SigTerm);
            try
            {
                await Wait.UntilAsync(() => !Directory.Exists($"/proc/{pid}"), limit: TimeSpan.FromSeconds(60));
            }
            catch (OperationCanceledException)
            {
                GatewayProcess.Signal(pid, GatewayProcess.SigKill);  // never leave a gateway of ours behind
            }
        }
        foreach (var process in _processes) await process.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
