using System.Runtime.InteropServices;
using Gateway.Configuration;
using Gateway.Hosting;

namespace Gateway.Host.Signals;

/// <summary>
/// SIGHUP reloads the config file in place (routes, upstreams, listeners). A file that fails validation is
/// rejected with its reason and the running configuration stays.
/// </summary>
internal sealed partial class ReloadSignal : IDisposable
{
    private readonly PosixSignalRegistration _registration;
    private readonly string? _configPath;
    private readonly GatewayReloader _reloader;
    private readonly ILogger _logger;

    public ReloadSignal(string? configPath, GatewayReloader reloader, ILogger logger)
    {
        _configPath = configPath;
        _reloader = reloader;
        _logger = logger;
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = Task.Run(ReloadAsync);
        });
    }

    /// <summary>Reloads the file now; true when the new configuration is in force.</summary>
    public async Task<bool> ReloadAsync()
    {
        try
        {
            var next = GatewayConfigLoader.Load(_configPath);
            await _reloader.ApplyAsync(next);
            return true;
        }
        catch (GatewayConfigException e)
        {
            Log.Rejected(_logger, e.Message);
            return false;
        }
    }

    public void Dispose() => _registration.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Error,
            Message = "Reload rejected, the running configuration stays: {Reason}")]
        public static partial void Rejected(ILogger logger, string reason);
    }
}
