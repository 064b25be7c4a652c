using Gateway.Configuration;
using Gateway.Host.Cli;
using Gateway.Host.Signals;

namespace Gateway.Host;

/// <summary>The gateway service: <c>Gateway.Host [--config FILE]</c>.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var options = CommandLine.Parse(args, Console.Error);
        if (options is null) return ExitCodes.Usage;
        if (options.Help)
        {
            Console.Out.Write(CommandLine.Usage);
            return ExitCodes.Ok;
        }

        GatewayApplication gateway;
        try
        {
            var settings = GatewayConfigLoader.Load(options.ConfigPath);
            gateway = GatewayApplication.Create(settings);
        }
        catch (GatewayConfigException e)
        {
            Console.Error.WriteLine($"gateway: configuration error: {e.Message}");
            return ExitCodes.Config;
        }

        var app = gateway.App;
        LogStartup(app.Logger, gateway);
        await app.StartAsync();
        using (new ShutdownSignals(app.Lifetime, gateway.Runtime, app.Logger))
        {
            app.Logger.LogInformation("Gateway ready (pid {Pid})", Environment.ProcessId);
            await app.WaitForShutdownAsync();
        }
        app.Logger.LogInformation("Gateway stopped");
        return ExitCodes.Ok;
    }

    private static void LogStartup(ILogger logger, GatewayApplication gateway)
    {
        var settings = gateway.Runtime.Settings;
        logger.LogInformation("Configuration: {Source} ({Listeners} listener(s), {Routes} route(s), {Upstreams} upstream(s); announce {Announce}s, deadline {Deadline}s)",
            settings.Source, settings.Listeners.Count, settings.Routes.Count, settings.Upstreams.Count,
            settings.Drain.Announce.TotalSeconds, settings.Drain.Deadline.TotalSeconds);
        foreach (var listener in gateway.Runtime.Listeners.All)
            logger.LogInformation("Listener {Name} listening on http://{Address}", listener.Name, listener.Address);
        logger.LogInformation("Admin listening on http://{Address}", gateway.Admin.Address);
    }
}

/// <summary>The process's exit codes.</summary>
public static class ExitCodes
{
    /// <summary>Drained and stopped (also when the deadline forced what was left).</summary>
    public const int Ok = 0;
    /// <summary>Invalid configuration: nothing was started. The message names file, key and problem.</summary>
    public const int Config = 2;
    /// <summary>Invalid command line.</summary>
    public const int Usage = 2;
}
