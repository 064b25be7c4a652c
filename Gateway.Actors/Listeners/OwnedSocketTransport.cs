using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Listeners;

/// <summary>
/// Kestrel's socket transport with the gateway's own accept loop on each gateway socket, so that a listener stops
/// accepting on its own — before, and independently of, Kestrel's shutdown — without losing its accept queue.
/// Any other endpoint (one an embedding application listens on) goes to Kestrel's own transport.
/// </summary>
internal sealed class OwnedSocketTransport(
    ListenerRegistry registry,
    IOptions<SocketTransportOptions> options,
    ILoggerFactory loggerFactory) : IConnectionListenerFactory
{
    private readonly SocketTransportFactory _inner = new(options, loggerFactory);
    // Inline scheduling: Kestrel runs a connection's request where its bytes arrived (a socket thread, see the host's
    // SocketThreads) instead of hopping to the thread pool; the gateway's code on that path never blocks.
    private readonly SocketConnectionContextFactory _connections = new(new SocketConnectionFactoryOptions { UnsafePreferInlineScheduling = true }, loggerFactory.CreateLogger("Gateway.Listeners"));

    public ValueTask<IConnectionListener> BindAsync(System.Net.EndPoint endpoint, CancellationToken cancellationToken = default) =>
        endpoint is FileHandleEndPoint handle && registry.Find(handle.FileHandle) is { } listener
            ? ValueTask.FromResult<IConnectionListener>(listener.CreateAcceptLoop(_connections))
            : _inner.BindAsync(endpoint, cancellationToken);
}
