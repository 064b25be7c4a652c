using Microsoft.Extensions.Logging;

namespace Gateway.Connections;

/// <summary>The raw TCP relay's log lines (listener, accept loop, connections).</summary>
internal static partial class TcpLog
{
    [LoggerMessage(EventId = EventIds.TcpNoRoute, Level = LogLevel.Warning, Message = "TCP listener {Listener} has no route: connection from {Remote} closed")]
    public static partial void NoRoute(ILogger logger, string listener, System.Net.EndPoint? remote);

    [LoggerMessage(EventId = EventIds.TcpAcceptFailed, Level = LogLevel.Warning, Message = "TCP listener {Listener}: accept failed: {Reason}")]
    public static partial void AcceptFailed(ILogger logger, string listener, string reason);

    [LoggerMessage(EventId = EventIds.TcpRelayNotStarted, Level = LogLevel.Error, Message = "TCP listener {Listener}: could not start the relay for {Remote}")]
    public static partial void RelayNotStarted(ILogger logger, Exception exception, string listener, System.Net.EndPoint? remote);

    [LoggerMessage(EventId = EventIds.TcpEveryEndpointDrained, Level = LogLevel.Warning, Message = "TCP connection {Id} on listener {Listener}: every endpoint of upstream {Upstream} is drained; closed")]
    public static partial void EveryEndpointDrained(ILogger logger, string id, string listener, string upstream);

    [LoggerMessage(EventId = EventIds.TcpUpstreamFailed, Level = LogLevel.Warning, Message = "TCP connection {Id} on listener {Listener}: upstream {Upstream} at {Endpoint} failed: {Reason}")]
    public static partial void UpstreamFailed(ILogger logger, string id, string listener, string upstream, System.Net.EndPoint endpoint, string reason);
}
