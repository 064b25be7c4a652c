using System.Runtime.InteropServices;
using Gateway.Hosting;

namespace Gateway.Host.Signals;

/// <summary>
/// SIGHUP reloads the config file in place (routes, upstreams, listeners). A file that fails validation is
/// rejected with its reason in the log and the running configuration stays.
/// </summary>
/// <remarks>
/// Registered as the process starts, before the config is read: SIGHUP's default action ends a process, and a reload
/// sent while a new generation starts (by an operator, or a unit's ExecReload during a hot restart) must not kill
/// the generation that has just taken the sockets. One that arrives before the gateway runs is applied once it does.
/// </remarks>
internal sealed class ReloadSignal : IDisposable
{
    private readonly PosixSignalRegistration _registration;
    private readonly Lock _gate = new();
    private GatewayReloader? _reloader;
    private bool _pending;
    private bool _detached;

    public ReloadSignal() =>
        _registration = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true;
            GatewayReloader reloader;
            lock (_gate)
            {
                if (_reloader is null)
                {
                    _pending = !_detached;
                    return;
                }
                reloader = _reloader;
            }
            _ = Task.Run(reloader.ReloadFileAsync);
        });

    /// <summary>The gateway runs: reloads go to it from now on, and one that came in meanwhile is applied now.</summary>
    public void Attach(GatewayReloader reloader)
    {
        bool pending;
        lock (_gate)
        {
            _reloader = reloader;
            pending = _pending;
        }
        if (pending) _ = Task.Run(reloader.ReloadFileAsync);
    }

    /// <summary>The gateway has stopped: a SIGHUP from now on is ignored (not applied, and never the default exit).</summary>
    public void Detach()
    {
        lock (_gate)
        {
            _reloader = null;
            _detached = true;
        }
    }

    public void Dispose() => _registration.Dispose();
}
