using Gateway.Configuration;
using Gateway.Host.Cli;
using Gateway.Host.Signals;
using Gateway.Hosting;
using Gateway.HotRestart;

namespace Gateway.Host;

/// <summary>The gateway service: <c>gateway [--config FILE] [--hot-restart]</c> and the operator commands.</summary>
public static partial class Program
{
    public static async Task<int> Main(string[] args)
    {
        var parsed = GatewayCommandLine.Build(RunAsync).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var output = CommandOutput.Console(json: args.Contains("--json"));
            foreach (var error in parsed.Errors) output.Fail(ExitCodes.Usage, $"{error.Message} (try --help)");
            return ExitCodes.Usage;
        }
        // The gateway handles SIGTERM/SIGINT itself (a drain may take its whole deadline): the parser must not.
        return await parsed.InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = null });
    }

    /// <summary>Runs the gateway until it has drained.</summary>
    private static async Task<int> RunAsync(string? configPath, bool hotRestart, CancellationToken cancellationToken)
    {
        var options = (ConfigPath: configPath, HotRestart: hotRestart);
        using var reloadSignal = new ReloadSignal();

        GatewayApplication gateway;
        HandoffClient? predecessor = null;
        string sockets;
        try
        {
            var settings = ConfigArgument.Load(options.ConfigPath);
            sockets = SocketThreads.Apply(settings.IoThreads);  // before the first socket: the runtime reads it then
            InheritedListeners? inherited = null;
            if (options.HotRestart)
            {
                predecessor = HandoffClient.Connect(settings.HotRestart.SocketPath);
                if (predecessor is not null && settings.Cluster.Enabled)
                    // Both generations would need the node's remoting port; the running one keeps serving untouched.
                    throw new GatewayConfigException(settings.Source, "gateway.cluster",
                        "a hot restart of a cluster node is not supported (both processes would need the remoting port " +
                        $"{settings.Cluster.Port}): send SIGTERM instead — the node drains, leaves the cluster, and its successor joins");
                inherited = predecessor?.RequestListeners();
            }
            gateway = GatewayApplication.Create(settings, logging: null, inherited: inherited ?? SystemdSockets.FromEnvironment());
        }
        catch (GatewayConfigException e)
        {
            // The predecessor (if any) sees the control connection close and keeps serving.
            predecessor?.Dispose();
            return CommandOutput.Console(json: false).ConfigError(e);
        }
        catch (Exception e) when (options.HotRestart && e is IOException or TimeoutException or System.Net.Sockets.SocketException)
        {
            predecessor?.Dispose();
            Console.Error.WriteLine($"gateway: hot restart failed: {e.Message}");
            return ExitCodes.Config;
        }

        var app = gateway.App;
        var runtime = gateway.Runtime;
        LogStartup(app.Logger, gateway, sockets);
        try
        {
            await app.StartAsync();
        }
        catch (Exception e)
        {
            // The config was checked (an actor system was even started on it), so this is rare: one line, exit 2, the
            // predecessor of a hot restart keeps serving.
            predecessor?.Dispose();
            Console.Error.WriteLine($"gateway: the gateway did not start: {string.Join(' ', e.GetBaseException().Message.Split('\n', StringSplitOptions.TrimEntries))}");
            try
            {
                await app.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // Exiting releases whatever did not stop.
            }
            return ExitCodes.Config;
        }
        if (options.HotRestart && predecessor is null)
            Log.NoPredecessor(app.Logger, runtime.Settings.HotRestart.SocketPath, runtime.Settings.Source, runtime.Generation);
        if (predecessor is not null)
        {
            using (predecessor)
            {
                var draining = predecessor.Ready(runtime.Inherited);
                Log.ServingAfterPredecessor(app.Logger, runtime.Generation, string.Join(", ", runtime.Inherited), draining ? "drains" : "did not confirm");
            }
        }
        using var handoff = HandoffServer.Start(runtime, app.Lifetime, app.Logger);
        using (new ShutdownSignals(app.Lifetime, runtime, app.Logger))
        {
            reloadSignal.Attach(app.Services.GetRequiredService<GatewayReloader>());
            Log.Ready(app.Logger, runtime.Generation, Environment.ProcessId);
            await app.WaitForShutdownAsync();
            reloadSignal.Detach();
        }
        Log.Stopped(app.Logger, runtime.Generation);
        await app.DisposeAsync();
        // Akka.Hosting sets the exit code to -1 when the actor system stops for any reason but a CLR exit (a
        // requested cluster leave among them): a node that drained and left as asked exits 0. A downed node exits 1,
        // so that a supervisor that restarts on failure brings it back into the cluster.
        var code = runtime.Cluster?.WasDowned == true ? ExitCodes.Failed : ExitCodes.Ok;
        Environment.ExitCode = code;
        return code;
    }

    private static void LogStartup(ILogger logger, GatewayApplication gateway, string sockets)
    {
        var settings = gateway.Runtime.Settings;
        Log.Configuration(logger, settings.Source, settings.Listeners.Count, settings.Routes.Count, settings.Upstreams.Count,
            settings.Drain.Announce.TotalSeconds, settings.Drain.Deadline.TotalSeconds);
        foreach (var note in settings.Notes) Log.ConfigurationNote(logger, note);
        foreach (var listener in gateway.Runtime.Listeners.All)
            Log.Listening(logger, listener.Name,
                listener.Protocol == Gateway.Configuration.ListenerProtocol.Tcp ? "tcp" : listener.Tls is null ? "http" : "https", listener.Address,
                listener.Adopted ? " (socket taken over)" : "");
        Log.AdminListening(logger, gateway.Admin.Address);
        Log.Sockets(logger, sockets);
    }
}

/// <summary>The process's exit codes.</summary>
public static class ExitCodes
{
    /// <summary>Drained and stopped (also when the deadline forced what was left).</summary>
    public const int Ok = 0;
    /// <summary>An operation failed, or this cluster node was downed (it drained, but did not leave as asked).</summary>
    public const int Failed = 1;
    /// <summary>Invalid configuration, or a hot restart that could not take over: nothing was started.</summary>
    public const int Config = 2;
    /// <summary>Invalid command line.</summary>
    public const int Usage = 2;
}
