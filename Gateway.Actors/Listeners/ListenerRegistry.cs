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

    internal void Attach(ulong fileHandle, IConnectionListener acceptLoop)
    {
        foreach (var listener in All.Append(Admin))
            if (listener.FileHandle == fileHandle)
                listener.Attach(acceptLoop);
    }
}

/// <summary>
/// Kestrel's socket transport, recording the accept loop it binds on each gateway socket so that the listener can
/// stop accepting on its own, before (and independently of) Kestrel's shutdown.
/// </summary>
internal sealed class RecordingListenerFactory(
    ListenerRegistry registry,
    IOptions<SocketTransportOptions> options,
    ILoggerFactory loggerFactory) : IConnectionListenerFactory
{
    private readonly SocketTransportFactory _inner = new(options, loggerFactory);

    public async ValueTask<IConnectionListener> BindAsync(System.Net.EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var acceptLoop = await _inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false);
        if (endpoint is FileHandleEndPoint handle)
            registry.Attach(handle.FileHandle, acceptLoop);
        return acceptLoop;
    }
}
