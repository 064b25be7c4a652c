namespace Gateway.Listeners;

/// <summary>The gateway's listeners by name, and by the file handle Kestrel binds its accept loop to.</summary>
internal sealed class ListenerRegistry(IReadOnlyList<ListenerHandle> listeners, ListenerHandle admin)
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
