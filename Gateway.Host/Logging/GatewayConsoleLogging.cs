using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Gateway.Host.Logging;

/// <summary>The gateway's console log: one line per event (or JSON), scopes neither printed nor kept.</summary>
internal static class GatewayConsoleLogging
{
    public static ILoggingBuilder AddGatewayConsole(this ILoggingBuilder logging, bool json)
    {
        if (json)
            logging.AddJsonConsole(o => o.TimestampFormat = "O");
        else
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        var console = logging.Services.Single(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        logging.Services.Remove(console);
        logging.Services.TryAddSingleton<ConsoleLoggerProvider>();
        logging.Services.AddSingleton<ILoggerProvider>(services => new ScopelessLoggerProvider(services.GetRequiredService<ConsoleLoggerProvider>()));
        return logging;
    }
}
