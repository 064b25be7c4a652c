using System.Collections.Concurrent;
using Gateway.Connections;

namespace Gateway.Listeners;

/// <summary>
/// What a listener's unbind waits for, on its <see cref="TimeProvider"/>: every connection its accept loop handed to
/// Kestrel must reach the gateway's middleware (it is then in the actor tree, or silent), and a silent one — a
/// browser's preconnect — gets the rest of <see cref="FirstBytesGrace"/> from its arrival to speak before it is
/// closed, so that none holds the listener's drain. Each wait is woken by the connection that ends it, and bounded
/// by <see cref="StepLimit"/>, so a drain never hangs on it.
/// </summary>
internal sealed class ListenerUnbind(TimeProvider time)
{
    /// <summary>How long a connection accepted just before the unbind may stay silent, from its arrival, before it is closed.</summary>
    internal static readonly TimeSpan FirstBytesGrace = TimeSpan.FromSeconds(1);

    /// <summary>A bound on each wait of the unbind.</summary>
    internal static readonly TimeSpan StepLimit = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<KestrelConnection, byte> _silent = new();
    private long _acceptedByLoop;
    private long _arrived;
    private long _registered;
    private TaskCompletionSource? _allArrived;
    private TaskCompletionSource? _noneSilent;

    public TimeProvider Time => time;

    /// <summary>Set for gateway listeners, whose connections pass through the gateway's connection middleware.</summary>
    public bool TracksConnections { get; set; }

    /// <summary>Connections passed to the listener's actor; it is drained only when it has seen them all.</summary>
    public long Registered => Interlocked.Read(ref _registered);

    private bool AllArrived => Interlocked.Read(ref _arrived) >= Interlocked.Read(ref _acceptedByLoop);

    /// <summary>The accept loop handed Kestrel a connection.</summary>
    public void AcceptedByLoop()
    {
        if (TracksConnections) Interlocked.Increment(ref _acceptedByLoop);
    }

    /// <summary>Kestrel began serving a connection; until its first bytes arrive it is not in the actor tree.</summary>
    public void Arrived(KestrelConnection connection)
    {
        _silent.TryAdd(connection, 0);
        Arrived();
    }

    /// <summary>A connection reached the middleware and was turned away there (over the listener's limit).</summary>
    public void ArrivedRefused()
    {
        if (TracksConnections) Arrived();
    }

    private void Arrived()
    {
        Interlocked.Increment(ref _arrived);
        if (Volatile.Read(ref _allArrived) is { } waiter && AllArrived) waiter.TrySetResult();
    }

    /// <summary>
    /// The connection's first bytes arrived or it closed silent. Until <see cref="ConnectionRegistered"/> follows, the
    /// listener's drain still waits for it (its actor has not been counted).
    /// </summary>
    public void Spoke(KestrelConnection connection)
    {
        // The emptiness is looked at only while the unbind waits for it.
        if (_silent.TryRemove(connection, out _) && Volatile.Read(ref _noneSilent) is { } waiter && _silent.IsEmpty)
            waiter.TrySetResult();
    }

    /// <summary>The connection was passed to the actor tree.</summary>
    public void ConnectionRegistered() => Interlocked.Increment(ref _registered);

    /// <summary>After the accept loop stopped: completes once every connection it accepted has arrived, or after <see cref="StepLimit"/>.</summary>
    public Task AllArrivedAsync()
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Published before the count is read; an arrival counts before it reads the waiter: one of the two sees the other.
        Interlocked.Exchange(ref _allArrived, waiter);
        if (AllArrived) waiter.TrySetResult();
        return WithinAsync(waiter.Task, StepLimit);
    }

    /// <summary>
    /// Completes once no connection accepted before the unbind is still silent: each spoke, or was closed at the end
    /// of its grace (one closed but still not gone <see cref="StepLimit"/> later is given up on).
    /// </summary>
    public async Task SettleSilentAsync()
    {
        while (true)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _noneSilent, waiter);
            if (_silent.IsEmpty) return;
            var now = time.GetUtcNow();
            var silent = _silent.Keys.ToList();
            foreach (var connection in silent.Where(c => now - c.OpenedAt >= FirstBytesGrace))
                connection.RequestClose();
            var speaking = silent.Where(c => now - c.OpenedAt < FirstBytesGrace).ToList();
            // The next grace to end; when every one has ended, the bound on the last of them.
            var wait = speaking.Count > 0
                ? speaking.Min(c => c.OpenedAt + FirstBytesGrace - now)
                : silent.Max(c => c.OpenedAt) + FirstBytesGrace + StepLimit - now;
            if (wait <= TimeSpan.Zero) return;
            await WithinAsync(waiter.Task, wait).ConfigureAwait(false);
        }
    }

    /// <summary>Waits for <paramref name="task"/>, at most <paramref name="limit"/>.</summary>
    public async Task WithinAsync(Task task, TimeSpan limit)
    {
        using var cancel = new CancellationTokenSource();
        var delay = Task.Delay(limit, time, cancel.Token);
        if (await Task.WhenAny(task, delay).ConfigureAwait(false) == task) cancel.Cancel();
    }
}
