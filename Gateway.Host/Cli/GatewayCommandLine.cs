using System.CommandLine;

namespace Gateway.Host.Cli;

/// <summary>
/// <c>gateway [run] [--config FILE] [--hot-restart]</c> and the operator commands <c>check</c>, <c>config</c>,
/// <c>status</c>, <c>drain</c>, <c>undrain</c>, <c>upstreams</c> and <c>restart</c>. Exit codes: 0 ok, 1 forced or failed operation, 2 bad config or usage.
/// </summary>
internal static class GatewayCommandLine
{
    public static RootCommand Build(Func<string?, bool, CancellationToken, Task<int>> run)
    {
        var config = new Option<string?>("--config", "-c") { Description = "HOCON file layered over the defaults (hocon/reference.conf), relative to the current folder; none: the embedded default" };
        var hotRestart = new Option<bool>("--hot-restart") { Description = "take over the listening sockets of the gateway running with the same config; it drains once this one is ready" };
        var json = new Option<bool>("--json") { Description = "machine-readable JSON instead of plain lines, errors included" };
        var admin = new Option<string?>("--admin") { Description = "host:port of the running gateway's admin API (default: from the config file)" };
        var token = new Option<string?>("--token") { Description = "admin token (default: gateway.admin.token of the config file)" };
        var listener = new Option<string?>("--listener") { Description = "only this listener (drain: the others keep serving; undrain: the others stay as they are)" };
        var wait = new Option<bool>("--wait") { Description = "show the drain until it is over: exit 0 when drained, 1 when something was forced" };
        var upstream = new Option<string?>("--upstream") { Description = "drain (undrain) one endpoint of this upstream instead of the gateway (with --endpoint)" };
        var endpoint = new Option<string?>("--endpoint") { Description = "the endpoint to drain or undrain, host:port as configured (see `upstreams`)" };
        var scope = new Option<string?>("--scope") { Description = "with --upstream on a cluster: cluster (every node, the default) or node (this one)" };
        var watch = new Option<bool>("--watch") { Description = "redraw the status every second until interrupted (Ctrl+C)" };
        var log = new Option<string?>("--log") { Description = "file for the new process's output (default: beside the config file, <name>.gen<N>.log)" };

        var root = new RootCommand("""
            Gateway: a reverse HTTP proxy that drains gracefully and restarts without losing a request.
            Without a command it runs the gateway (as `run`). SIGTERM/SIGINT drain and exit 0 (a second one forces);
            SIGHUP reloads the config file. Exit codes: 0 ok, 1 forced or failed operation, 2 bad config or usage.
            """);
        root.Options.Add(config);
        root.Options.Add(hotRestart);
        root.SetAction((result, ct) => run(result.GetValue(config), result.GetValue(hotRestart), ct));

        var runCommand = new Command("run", "Run the gateway (the default).") { config, hotRestart };
        runCommand.SetAction((result, ct) => run(result.GetValue(config), result.GetValue(hotRestart), ct));

        var check = new Command("check", "Parse and validate a config without binding anything (as nginx -t): exit 0 with a summary, or 2 with every problem.") { config, json };
        check.SetAction(result => OperatorCommands.Check(result.GetValue(config), CommandOutput.Console(result.GetValue(json))));

        var print = new Command("config", "Print the effective config (defaults merged, secrets masked).") { config, json };
        print.SetAction(result => OperatorCommands.PrintConfig(result.GetValue(config), CommandOutput.Console(result.GetValue(json))));

        var status = new Command("status", "Show a running gateway: generation, readiness, per listener connections, in-flight requests, requests answered and per second.") { config, admin, token, watch, json };
        status.SetAction((result, ct) => WithAdmin(result.GetValue(admin), result.GetValue(config), result.GetValue(token), result.GetValue(json),
            (api, output) => OperatorCommands.StatusAsync(api, result.GetValue(watch), output, ct)));

        var drain = new Command("drain", "Drain a running gateway (it stays up, /ready answers 503), or with --upstream and --endpoint one of its backends.") { config, admin, token, listener, wait, json, upstream, endpoint, scope };
        drain.SetAction((result, ct) => WithAdmin(result.GetValue(admin), result.GetValue(config), result.GetValue(token), result.GetValue(json),
            (api, output) => result.GetValue(upstream) is { } name
                ? UpstreamCommands.DrainAsync(api, name, result.GetValue(endpoint), result.GetValue(scope), result.GetValue(wait), output, ct)
                : OperatorCommands.DrainAsync(api, result.GetValue(listener), result.GetValue(wait), output, ct)));

        var upstreams = new Command("upstreams", "Show every upstream endpoint of a running gateway: state, share, in flight, requests, failures, last health check.") { config, admin, token, json };
        upstreams.SetAction((result, ct) => WithAdmin(result.GetValue(admin), result.GetValue(config), result.GetValue(token), result.GetValue(json),
            (api, output) => UpstreamCommands.ListAsync(api, output, ct)));

        var undrain = new Command("undrain", "Take a drain back (at any point before exit): listeners accept again, /ready answers 200; or with --upstream and --endpoint bring one backend back.") { config, admin, token, listener, json, upstream, endpoint, scope };
        undrain.SetAction((result, ct) => WithAdmin(result.GetValue(admin), result.GetValue(config), result.GetValue(token), result.GetValue(json),
            (api, output) => result.GetValue(upstream) is { } name
                ? UpstreamCommands.UndrainAsync(api, name, result.GetValue(endpoint), result.GetValue(scope), output, ct)
                : OperatorCommands.UndrainAsync(api, result.GetValue(listener), output, ct)));

        var restart = new Command("restart", "Hot-restart the gateway running with --config: a new process takes its sockets; waits until the old one has exited.") { config, admin, token, log };
        restart.SetAction((result, ct) =>
        {
            if (result.GetValue(config) is null)
                return Task.FromResult(CommandOutput.Console(json: false).Fail(ExitCodes.Usage, "restart needs --config FILE (the file of the running gateway)"));
            return WithAdmin(result.GetValue(admin), result.GetValue(config), result.GetValue(token), json: false,
                (api, output) => OperatorCommands.RestartAsync(api, ConfigArgument.Resolve(result.GetValue(config))!, result.GetValue(log), output, ct));
        });

        foreach (var command in new[] { runCommand, check, print, status, drain, undrain, upstreams, restart }) root.Subcommands.Add(command);
        return root;
    }

    private static async Task<int> WithAdmin(string? admin, string? config, string? token, bool json, Func<AdminApi, CommandOutput, Task<int>> action)
    {
        var output = CommandOutput.Console(json);
        try
        {
            using var api = AdminApi.Create(admin, config, token);
            return await action(api, output);
        }
        catch (Configuration.GatewayConfigException e)
        {
            return output.ConfigError(e);
        }
        catch (AdminApiException e)
        {
            return output.Fail(e.ExitCode, e.Message);
        }
    }
}
