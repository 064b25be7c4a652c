using Gateway.Configuration;
using Gateway.Listeners;

namespace Gateway.Connections;

/// <summary>
/// The long-lived streams (WebSockets, server-sent event streams, streaming gRPC calls) open on one connection, and
/// what the drain has asked of them so far: a stream that opens later is asked the same at once.
/// </summary>
internal sealed class ConnectionStreams(ListenerCounters counters)
{
    // Made with the first stream (most connections never have one); the lock is this object, which no one else sees.
    private List<LongLivedStream>? _open;
    private bool _draining;
    private bool _ending;

    public int Count
    {
        get
        {
            lock (this) return _open?.Count ?? 0;
        }
    }

    /// <summary>A request became a long-lived stream; a drain already under way applies to it at once.</summary>
    public LongLivedStream Open(StreamSettings settings)
    {
        var stream = new LongLivedStream(this, settings);
        bool draining, ending;
        lock (this)
        {
            (_open ??= []).Add(stream);
            (draining, ending) = (_draining, _ending);
        }
        counters.StreamStarted();
        if (ending) stream.SayGoodbye();
        else if (draining) stream.DrainStarted();
        return stream;
    }

    public void Ended(LongLivedStream stream)
    {
        lock (this) _open?.Remove(stream);
        counters.StreamEnded();
    }

    /// <summary>The drain started: each stream follows its route's policy.</summary>
    public void DrainStarted()
    {
        foreach (var stream in Mark(ending: false)) stream.DrainStarted();
    }

    /// <summary>The deadline is near: every stream says goodbye now, whatever its policy.</summary>
    public void EndAll()
    {
        foreach (var stream in Mark(ending: true)) stream.SayGoodbye();
    }

    private LongLivedStream[] Mark(bool ending)
    {
        // Copied under the lock, told outside it: a goodbye runs the relay's callbacks synchronously.
        lock (this)
        {
            if (ending) _ending = true;
            else _draining = true;
            return _open is null || _open.Count == 0 ? [] : [.. _open];
        }
    }
}
