using System.Runtime.InteropServices;
using Gateway.Hosting;
using Gateway.Lifecycle;

namespace Gateway.Host.Signals;

/// <summary>
/// SIGTERM / SIGINT / SIGQUIT: the first one starts the drain (the host stops, which runs CoordinatedShutdown);
/// any later one forces it at once. The process never dies of the default signal action while it drains.
/// </summary>
internal sealed partial class ShutdownSignals : IDisposable
{
    private readonly List<PosixSignalRegistration> _registrations = [];
    private readonly IHostApplicationLifetime _lifetime;
    private readonly GatewayRuntime _runtime;
    private readonly ILogger _logger;
    private int _count;

    public ShutdownSignals(IHostApplicationLifetime lifetime, GatewayRuntime runtime, ILogger logger)
    {
        _lifetime = lifetime;
        _runtime = runtime;
        _logger = logger;
        foreach (var signal in new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT })
            _registrations.Add(PosixSignalRegistration.Create(signal, OnSignal));
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        if (Interlocked.Increment(ref _count) == 1)
        {
            // t = 0 of the drain is the signal itself: readiness answers 503 from this moment on. A cluster node
            // first waits for a slot of the drain budget, serving and ready; its deadline still counts from here.
            _runtime.BeginExit(DrainReason.Shutdown);
            Log.Draining(_logger, context.Signal, _runtime.Settings.Drain.Deadline.TotalSeconds);
            _lifetime.StopApplication();
        }
        else
        {
            Log.Forcing(_logger, context.Signal);
            _runtime.ForceNow();
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations) registration.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ShutdownSignal, Level = LogLevel.Information,
            Message = "{Signal} received: draining (deadline {DeadlineSeconds}s); send it again to force")]
        public static partial void Draining(ILogger logger, PosixSignal signal, double deadlineSeconds);

        [LoggerMessage(EventId = EventIds.SecondSignal, Level = LogLevel.Warning,
            Message = "{Signal} received again: forcing the drain now")]
        public static partial void Forcing(ILogger logger, PosixSignal signal);
    }
}
