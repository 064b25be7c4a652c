using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Cli;

/// <summary>
/// What the commands say when something is wrong: each message names what to do next, <c>--json</c> turns errors
/// into JSON too, and the exit codes are the README's (0 ok, 1 failed or forced, 2 bad config or usage).
/// </summary>
public sealed class CommandMessagesTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Token = "a-token-of-sixteen-chars";
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task A_relative_config_is_read_from_the_current_folder_and_a_folder_is_named_so()
    {
        var folder = Directory.CreateTempSubdirectory("gateway-user-").FullName;
        File.WriteAllText(Path.Combine(folder, "my.conf"), "gateway.listeners.a.address = \"127.0.0.1:0\"");
        Directory.CreateDirectory(Path.Combine(folder, "conf.d"));
        try
        {
            await using var relative = await OperatorCli.RunAsync(["check", "--config", "my.conf"], folder);
            Assert.Equal(0, relative.ExitCode);
            Assert.Contains($"ok: {folder}/my.conf: 1 listener(s)", relative.OutputText);

            await using var directory = await OperatorCli.RunAsync(["check", "--config", "conf.d"], folder);
            Assert.Equal(2, directory.ExitCode);
            Assert.Contains($"gateway: configuration error: {folder}/conf.d: --config: is a directory, not a config file: " +
                "name the file in it (for example --config conf.d/gateway.conf)", directory.OutputText);
            Assert.DoesNotContain("denied", directory.OutputText);

            await using var missing = await OperatorCli.RunAsync(["run", "--config", "nope.conf"], folder);
            Assert.Equal(2, missing.ExitCode);
            Assert.Contains($"gateway: configuration error: {folder}/nope.conf: ", missing.OutputText);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task With_json_every_error_is_one_json_object_with_the_exit_code()
    {
        int closed;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            closed = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var unreachable = await OperatorCli.RunAsync("status", "--admin", $"127.0.0.1:{closed}", "--json");
        var error = Json(unreachable);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Equal((false, 1), (error.GetProperty("ok").GetBoolean(), error.GetProperty("exitCode").GetInt32()));
        Assert.StartsWith($"no gateway answers at http://127.0.0.1:{closed}/", error.GetProperty("error").GetString());
        Assert.Contains("--admin host:port", error.GetProperty("error").GetString());

        await using var usage = await OperatorCli.RunAsync("drain", "--json", "--wiat");
        Assert.Equal(2, usage.ExitCode);
        Assert.Contains("--wiat", Json(usage).GetProperty("error").GetString());

        await using var config = await OperatorCli.RunAsync("status", "--config", Path.GetTempPath(), "--json");
        Assert.Equal(2, config.ExitCode);
        var problem = Json(config).GetProperty("problems").EnumerateArray().Single();
        Assert.Equal("--config", problem.GetProperty("key").GetString());
        Assert.StartsWith("is a directory", problem.GetProperty("problem").GetString());

        await using var plain = await OperatorCli.RunAsync("status", "--admin", $"127.0.0.1:{closed}");
        Assert.Equal(1, plain.ExitCode);
        Assert.StartsWith("gateway: no gateway answers at", plain.OutputText);
    }

    [Fact]
    public async Task A_refused_token_says_to_pass_token_and_the_token_of_the_config_file_is_used()
    {
        var file = OperatorCli.Write(OperatorCli.Config(_upstream, extra: $"admin.token = \"{Token}\""));
        await using var gateway = GatewayProcess.StartWithConfigFile(file);
        var admin = (await gateway.WaitUntilReadyAsync())["admin"].ToString();

        await using var none = await OperatorCli.RunAsync("status", "--admin", admin);
        output.WriteLine(none.OutputText);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains($"gateway: the admin API at http://{admin}/ refused the request (401 Unauthorized): it needs a token; pass --token TOKEN", none.OutputText);
        Assert.DoesNotContain("cannot reach", none.OutputText);

        await using var wrong = await OperatorCli.RunAsync("drain", "--admin", admin, "--token", "not-the-token-at-all", "--json");
        Assert.Equal(2, wrong.ExitCode);
        Assert.Contains("the token is not the gateway's; pass its gateway.admin.token with --token TOKEN", Json(wrong).GetProperty("error").GetString());

        await using var right = await OperatorCli.RunAsync("status", "--admin", admin, "--token", Token);
        Assert.Equal(0, right.ExitCode);
        Assert.False(gateway.Exited.IsCompleted);
        Assert.Contains("ready  serving", right.OutputText);
    }

    [Fact]
    public async Task Hot_restart_with_no_gateway_running_says_so_and_starts_a_fresh_generation()
    {
        await using var gateway = GatewayProcess.StartWithConfig(OperatorCli.Config(_upstream), "--hot-restart");
        await gateway.WaitUntilReadyAsync();
        var line = await gateway.WaitForLineAsync(
            @"--hot-restart: no gateway is running on (\S+\.sock) \(the control socket of (\S+)\); started a fresh one \(generation 1\)",
            TimeSpan.FromSeconds(5));
        Assert.Equal(gateway.ConfigPath, line.Groups[2].Value);
        Assert.Contains("Gateway generation 1 ready", gateway.OutputText);
    }

    [Fact]
    public async Task Restart_prints_why_the_new_process_failed_and_writes_its_output_beside_the_config()
    {
        var file = OperatorCli.Write(OperatorCli.Config(_upstream));
        var log = Path.ChangeExtension(file, null) + ".gen2.log";
        await using var gateway = GatewayProcess.StartWithConfigFile(file);
        var addresses = await gateway.WaitUntilReadyAsync();
        try
        {
            File.WriteAllText(file, "gateway { listeners.public.address = nowhere }");
            await using var restart = await OperatorCli.RunAsync("restart", "--config", file, "--admin", addresses["admin"].ToString());
            output.WriteLine(restart.OutputText);

            Assert.Equal(2, restart.ExitCode);
            Assert.Contains($"its output in {log}", restart.OutputText);
            Assert.Contains("gateway: the new process (generation 2) exited with 2; generation 1 keeps serving. Its reason:", restart.OutputText);
            Assert.Matches($@"gateway: configuration error: {System.Text.RegularExpressions.Regex.Escape(file)}:1: gateway\.listeners\.public\.address: ", restart.OutputText);
            Assert.Contains("gateway.listeners.public.address", File.ReadAllText(log));

            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var answer = await client.GetAsync($"http://{addresses["public"]}/hello");
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal("1", answer.Headers.GetValues("Gateway-Generation").Single());
        }
        finally
        {
            File.Delete(log);
        }
    }

    private static JsonElement Json(GatewayProcess command) =>
        JsonDocument.Parse(Assert.Single(command.Output, l => l.StartsWith('{'))).RootElement;
}
