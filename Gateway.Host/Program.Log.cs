using System.Net;

namespace Gateway.Host;

public static partial class Program
{
    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ConfigLoaded, Level = LogLevel.Information,
            Message = "Configuration: {Source} ({Listeners} listener(s), {Routes} route(s), {Upstreams} upstream(s); announce {Announce}s, deadline {Deadline}s)")]
        public static partial void Configuration(ILogger logger, string source, int listeners, int routes, int upstreams, double announce, double deadline);

        [LoggerMessage(EventId = EventIds.ConfigNote, Level = LogLevel.Warning, Message = "Configuration: {Note}")]
        public static partial void ConfigurationNote(ILogger logger, string note);

        [LoggerMessage(EventId = EventIds.ListenerBound, Level = LogLevel.Information,
            Message = "Listener {Name} listening on {Scheme}://{Address}{Origin}")]
        public static partial void Listening(ILogger logger, string name, string scheme, IPEndPoint address, string origin);

        [LoggerMessage(EventId = EventIds.AdminBound, Level = LogLevel.Information, Message = "Admin listening on http://{Address}")]
        public static partial void AdminListening(ILogger logger, IPEndPoint address);

        [LoggerMessage(EventId = EventIds.SocketThreads, Level = LogLevel.Information, Message = "Sockets: {Sockets}")]
        public static partial void Sockets(ILogger logger, string sockets);

        [LoggerMessage(EventId = EventIds.HotRestartWithoutPredecessor, Level = LogLevel.Warning,
            Message = "--hot-restart: no gateway is running on {Socket} (the control socket of {Config}); started a fresh one (generation {Generation})")]
        public static partial void NoPredecessor(ILogger logger, string socket, string config, int generation);

        [LoggerMessage(EventId = EventIds.HotRestartServing, Level = LogLevel.Information,
            Message = "Hot restart: generation {Generation} serves [{Listeners}]; the previous generation {State}")]
        public static partial void ServingAfterPredecessor(ILogger logger, int generation, string listeners, string state);

        [LoggerMessage(EventId = EventIds.GatewayReady, Level = LogLevel.Information, Message = "Gateway generation {Generation} ready (pid {Pid})")]
        public static partial void Ready(ILogger logger, int generation, int pid);

        [LoggerMessage(EventId = EventIds.GatewayStopped, Level = LogLevel.Information, Message = "Gateway generation {Generation} stopped")]
        public static partial void Stopped(ILogger logger, int generation);
    }
}
