using Gateway.Configuration;
using Gateway.Host.Admin;
using Gateway.Host.Cli;
using Gateway.Host.Signals;
using Gateway.Hosting;
using Gateway.Listeners;

namespace Gateway.Host;

/// <summary>The gateway service: <c>Gateway.Host [--config FILE]</c>.</summary>
public static class Program
{
    /// <summary>Exit codes: 0 after a drain, 1 on an unexpected failure, 2 for bad configuration or usage.</summary>
    public static async Task<int> Main(string[] args)
    {
        var options = CommandLine.Parse(args, Console.Error);
        if (options is null) return ExitCodes.Usage;
        if (options.Help)
        {
            Console.Out.Write(CommandLine.Usage);
            return ExitCodes.Ok;
        }

        GatewaySettings settings;
        WebApplication app;
        GatewayRuntime runtime;
        try
        {
            settings = GatewayConfigLoader.Load(options.ConfigPath);
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
            // Per-request framework logs cost throughput; the gateway logs its own lifecycle events.
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            // Kestrel warns that cleartext HTTP/2 is off on our listeners; CleartextHttp2Detection turns it on.
            builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
            runtime = builder.AddGateway(settings);
            var admin = GatewayHostingExtensions.BindOrExplain(settings, "gateway.admin.address",
                () => ListenerHandle.Bind("admin", settings.Admin.Address));
            builder.WebHost.ConfigureKestrel(k => k.ListenHandle(admin.FileHandle));
            app = builder.Build();
            app.UseGateway();
            app.UseRouting();
            app.MapAdmin(runtime);
            LogStartup(app.Logger, settings, runtime, admin);
        }
        catch (GatewayConfigException e)
        {
            Console.Error.WriteLine($"gateway: configuration error: {e.Message}");
            return ExitCodes.Config;
        }

        await app.StartAsync();
        using (new ShutdownSignals(app.Lifetime, runtime, app.Logger))
        {
            app.Logger.LogInformation("Gateway ready (pid {Pid})", Environment.ProcessId);
            await app.WaitForShutdownAsync();
        }
        app.Logger.LogInformation("Gateway stopped");
        return ExitCodes.Ok;
    }

    private static void LogStartup(ILogger logger, GatewaySettings settings, GatewayRuntime runtime, ListenerHandle admin)
    {
        logger.LogInformation("Configuration: {Source} ({Listeners} listener(s), {Routes} route(s), {Upstreams} upstream(s); announce {Announce}s, deadline {Deadline}s)",
            settings.Source, settings.Listeners.Count, settings.Routes.Count, settings.Upstreams.Count,
            settings.Drain.Announce.TotalSeconds, settings.Drain.Deadline.TotalSeconds);
        foreach (var listener in runtime.Listeners.All)
            logger.LogInformation("Listener {Name} listening on http://{Address}", listener.Name, listener.Address);
        logger.LogInformation("Admin listening on http://{Address}", admin.Address);
    }
}

/// <summary>The process's exit codes.</summary>
public static class ExitCodes
{
    /// <summary>Drained and stopped (also when the deadline forced what was left).</summary>
    public const int Ok = 0;
    /// <summary>Invalid configuration or command line: nothing was started.</summary>
    public const int Config = 2;
    /// <summary>Invalid command line.</summary>
    public const int Usage = 2;
}
