using Gateway.Configuration;

namespace Gateway.Connections;

/// <summary>
/// A WebSocket or server-sent event stream on a connection. Kestrel cannot ask an upgraded connection or an endless
/// response to close, so the drain asks the stream itself: <see cref="Goodbye"/> fires when it should end gracefully
/// (its route's policy, or shortly before the deadline), and the relay ends it the protocol's way.
/// </summary>
internal sealed class LongLivedStream : IDisposable
{
    private readonly ConnectionStreams _streams;
    private readonly CancellationTokenSource _goodbye = new();
    private int _disposed;

    internal LongLivedStream(ConnectionStreams streams, StreamSettings settings)
    {
        _streams = streams;
        Settings = settings;
    }

    public StreamSettings Settings { get; }

    /// <summary>Fires when the stream should say goodbye (close 1001, end at an event boundary).</summary>
    public CancellationToken Goodbye => _goodbye.Token;

    /// <summary>The drain started: a graceful-close stream says goodbye after its grace; the others run on.</summary>
    internal void DrainStarted()
    {
        if (Settings.OnDrain != StreamDrainPolicy.GracefulClose) return;
        if (Settings.Grace <= TimeSpan.Zero) SayGoodbye();
        else Guard(() => _goodbye.CancelAfter(Settings.Grace));
    }

    internal void SayGoodbye() => Guard(_goodbye.Cancel);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _streams.Ended(this);
        _goodbye.Dispose();
    }

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (ObjectDisposedException)
        {
            // The stream ended meanwhile: nothing to say goodbye to.
        }
    }
}
