using System.Net.Sockets;
using Gateway.Hosting;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.HotRestart;

/// <summary>
/// The running generation's side of a hot restart: it waits on the control socket for a successor, hands it the
/// listening sockets, and once the successor is ready stops accepting (leaving the sockets open) and drains.
/// A successor that fails before READY changes nothing here.
/// </summary>
internal partial class HandoffServer : IDisposable
{
    private readonly Socket _listener;
    private readonly GatewayRuntime _runtime;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    private HandoffServer(Socket listener, GatewayRuntime runtime, IHostApplicationLifetime lifetime, ILogger logger)
    {
        _listener = listener;
        _runtime = runtime;
        _lifetime = lifetime;
        _logger = logger;
    }

    /// <summary>Starts listening at the configured path; null (and a warning) when another live gateway holds it.</summary>
    public static HandoffServer? Start(GatewayRuntime runtime, IHostApplicationLifetime lifetime, ILogger logger)
    {
        var path = runtime.Settings.HotRestart.SocketPath;
        var listener = ControlSocket.Listen(path);
        if (listener is null)
        {
            Log.PathTaken(logger, path);
            return null;
        }
        var server = new HandoffServer(listener, runtime, lifetime, logger);
        _ = Task.Run(server.AcceptLoopAsync);
        Log.Listening(logger, path, runtime.Generation);
        return server;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket peer;
            try
            {
                peer = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            using (peer)
            {
                try
                {
                    if (await Task.Run(() => Serve(peer)))
                        return;
                }
                catch (Exception e)
                {
                    Log.HandoffAborted(_logger, e.Message);
                }
            }
        }
    }

    /// <summary>One successor's handoff; true when it took over (this process then drains).</summary>
    private bool Serve(Socket peer)
    {
        if (!ControlSocket.PeerIsSameUser(peer))
        {
            Log.HandoffAborted(_logger, "the connecting process runs as another user");
            return false;
        }
        var hello = HandoffProtocol.ReadLine(peer, HandoffProtocol.StepTimeout);
        if (hello?.Line != HandoffProtocol.Hello)
        {
            Log.HandoffAborted(_logger, $"unexpected greeting '{hello?.Line}'");
            return false;
        }
        if (Refusal(_runtime.State) is { } refusal)
        {
            // Said to the successor, which exits with it: the operator reads the truth, not a lost connection.
            HandoffProtocol.SendLine(peer, $"{HandoffProtocol.Refused} {refusal}");
            Log.HandoffAborted(_logger, refusal);
            return false;
        }

        // A drained listener's socket is closed: the successor binds it anew. One kept open (systemd's) goes over.
        var offered = _runtime.Listeners.All.Append(_runtime.Listeners.Admin).Where(l => l.SocketOpen && !l.HandedOff).ToList();
        HandoffProtocol.SendLine(peer, HandoffProtocol.FormatListeners(_runtime.Generation, offered.Select(l => (l.Name, l.Address))),
            offered.Select(l => l.Descriptor).ToArray());

        var ready = HandoffProtocol.ReadLine(peer, HandoffProtocol.StepTimeout);
        if (ready is not { } answer || !answer.Line.StartsWith(HandoffProtocol.Ready, StringComparison.Ordinal))
        {
            Log.HandoffAborted(_logger, "the new process stopped before it was ready; this generation keeps serving");
            return false;
        }

        var taken = answer.Line[HandoffProtocol.Ready.Length..].Trim().Split(',', StringSplitOptions.RemoveEmptyEntries);
        foreach (var listener in offered.Where(l => taken.Contains(l.Name)))
            listener.HandOff();
        // The admin API answers from the new generation at once; the gateway listeners follow the drain.
        if (taken.Contains(ListenerRegistry.AdminName))
            _ = _runtime.Listeners.Admin.StopAcceptingAsync();
        // Release the path before saying so: disposing a bound Unix socket deletes its file.
        Dispose();
        HandoffProtocol.SendLine(peer, HandoffProtocol.Draining);
        Log.HandedOver(_logger, _runtime.Generation, string.Join(", ", taken));
        _runtime.BeginExit(DrainReason.HotRestart);
        _lifetime.StopApplication();
        return true;
    }

    /// <summary>
    /// Why this generation cannot hand over now, or null. Serving, announcing, draining or drained (an operator's
    /// drain) it can: the successor serves, this one drains to exit. Not while its listeners are stopping (their
    /// sockets are changing hands with the kernel), coming back, or once it is leaving.
    /// </summary>
    private static string? Refusal(GatewayState state) => state.Phase switch
    {
        GatewayPhase.Unbinding => "this gateway is stopping its listeners (a drain under way); try again in a moment",
        GatewayPhase.Resuming => "this gateway is taking a drain back (its listeners re-open); try again in a moment",
        GatewayPhase.Exiting => "this gateway is leaving (its drain leads to exit)",
        _ when state.Exiting => "this gateway is already draining to exit (a shutdown or another hot restart)",
        _ => null,
    };

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        _listener.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.HandoffListening, Level = LogLevel.Information, Message = "Hot restart: generation {Generation} listens for a successor at {Path}")]
        public static partial void Listening(ILogger logger, string path, int generation);

        [LoggerMessage(EventId = EventIds.HandoffPathTaken, Level = LogLevel.Warning, Message = "Hot restart: another live gateway holds {Path}; this process cannot be taken over")]
        public static partial void PathTaken(ILogger logger, string path);

        [LoggerMessage(EventId = EventIds.HandoffAborted, Level = LogLevel.Warning, Message = "Hot restart aborted: {Reason}")]
        public static partial void HandoffAborted(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.HandedOver, Level = LogLevel.Information, Message = "Hot restart: generation {Generation} handed over listeners [{Listeners}] and drains")]
        public static partial void HandedOver(ILogger logger, int generation, string listeners);
    }
}
