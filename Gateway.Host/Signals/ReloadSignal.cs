using System.Runtime.InteropServices;
using Gateway.Hosting;

namespace Gateway.Host.Signals;

/// <summary>
/// SIGHUP reloads the config file in place (routes, upstreams, listeners). A file that fails validation is
/// rejected with its reason in the log and the running configuration stays.
/// </summary>
internal sealed class ReloadSignal : IDisposable
{
    private readonly PosixSignalRegistration _registration;

    public ReloadSignal(GatewayReloader reloader) =>
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            _ = Task.Run(reloader.ReloadFileAsync);
        });

    public void Dispose() => _registration.Dispose();
}
