using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Listeners;

/// <summary>The gateway's listeners by name, and by the file handle Kestrel binds its accept loop to.</summary>
public sealed class ListenerRegistry(IReadOnlyList<ListenerHandle> listeners, ListenerHandle admin)
{
    private IReadOnlyList<ListenerHandle> _all = listeners;

    /// <summary>The name under which the admin socket travels in a hot restart (no listener can have it).</summary>
    public const string AdminName = "@admin";

    /// <summary>The gateway listeners (each with its ListenerActor); a reload replaces the list as a whole.</summary>
    public IReadOnlyList<ListenerHandle> All => Volatile.Read(ref _all);

    internal void Replace(IReadOnlyList<ListenerHandle> listeners) => Volatile.Write(ref _all, listeners);

    /// <summary>The admin API's socket: owned like a listener so that a successor can take it over.</summary>
    public ListenerHandle Admin { get; } = admin;

    internal ListenerHandle? Find(ulong fileHandle) => All.Append(Admin).FirstOrDefault(l => l.FileHandle == fileHandle);
}

/// <summary>
/// Kestrel's socket transport with the gateway's own accept loop on each gateway socket, so that a listener stops
/// accepting on its own — before, and independently of, Kestrel's shutdown — without losing its accept queue.
/// </summary>
internal sealed class RecordingListenerFactory(
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
