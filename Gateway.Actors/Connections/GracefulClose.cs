using Microsoft.AspNetCore.Connections.Features;

namespace Gateway.Connections;

/// <summary>
/// Closes a Kestrel connection with Kestrel's own graceful close (<c>Connection: close</c> on HTTP/1.1, GOAWAY on
/// HTTP/2), and only in a way that tells the client: Kestrel asked to close while an HTTP/1.1 response is under way
/// ends keep-alive after that response without a word (measured under hot restarts: a busy keep-alive client then
/// read a closed socket on its next request), and Kestrel alone sends a single GOAWAY when no stream is active at
/// that moment. So an HTTP/1.1 close waits for a response that can still say it, or for the connection to be idle;
/// HTTP/2 gets two GOAWAYs, the final one once the client has answered the PING sent with the first (bounded).
/// </summary>
internal sealed class GracefulClose(IConnectionLifetimeNotificationFeature? lifetime, TimeProvider time)
{
    // Made when first needed (an HTTP/2 GOAWAY, or the deadline near): an idle HTTP/1.1 connection never needs it.
    private TaskCompletionSource? _hurry;
    private int _responding;
    private int _wanted;
    private int _delivered;
    private int _goAwayStarted;
    private TaskCompletionSource? _deferred;

    /// <summary>A close was asked for (the announce or the drain): the next response that starts says so.</summary>
    public bool Wanted => Volatile.Read(ref _wanted) == 1;

    public void Want() => Interlocked.Exchange(ref _wanted, 1);

    /// <summary>
    /// Null while nothing waits (closed or about to be, told on a response, or never asked); else completes when the
    /// HTTP/1.1 response that was under way when the drain asked has been sent in full.
    /// </summary>
    public Task? Deferred => Volatile.Read(ref _delivered) == 1 ? null : Volatile.Read(ref _deferred)?.Task;

    /// <summary>An HTTP/1.1 response is under way.</summary>
    public bool Responding => Volatile.Read(ref _responding) > 0;

    /// <summary>HTTP/1.1: close now if no response is under way; otherwise the close waits (<see cref="Deferred"/>).</summary>
    public void CloseIfIdle()
    {
        if (Volatile.Read(ref _delivered) == 1) return;
        // Idle: closed now, nothing to wait for. A request arriving meanwhile is answered with Connection: close (its
        // response starts after the close was wanted), as when the deferral below finds no response under way.
        if (Volatile.Read(ref _responding) == 0)
        {
            Deliver();
            return;
        }
        if (Volatile.Read(ref _deferred) is null)
            Interlocked.CompareExchange(ref _deferred, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);
        // Read after the deferral is published; ResponseCompleted counts down before it reads it: one sees the other.
        if (Volatile.Read(ref _responding) == 0) Deliver();
    }

    /// <summary>An HTTP/1.1 request arrived: its response is under way until <see cref="ResponseCompleted"/>.</summary>
    public void ResponseArrived() => Interlocked.Increment(ref _responding);

    /// <summary>A response starts: it says <c>Connection: close</c> when a close is wanted by then.</summary>
    public void ResponseStarting(bool goingAway)
    {
        if ((Wanted || goingAway) && Volatile.Read(ref _delivered) == 0) Deliver();
    }

    /// <summary>A response was sent in full; a close that waited for it may be asked again.</summary>
    public void ResponseCompleted()
    {
        if (Interlocked.Decrement(ref _responding) == 0) Volatile.Read(ref _deferred)?.TrySetResult();
    }

    /// <summary>
    /// HTTP/2, once: GOAWAY(2^31−1) and a PING first, so that streams the client sent meanwhile are still served; once
    /// Kestrel has taken the PING's ACK — after every stream the client opened before it read the GOAWAY, however slow
    /// it was to read it — Kestrel's own graceful close sends the final GOAWAY (the last stream it took) when its
    /// streams are done. A client that does not answer gets it after <see cref="CoalescingOutput.AckTimeout"/>, or when
    /// the drain's deadline is near (<see cref="StopWaitingForAck"/>).
    /// </summary>
    public void BeginGoAway(CoalescingOutput? output)
    {
        if (Interlocked.Exchange(ref _goAwayStarted, 1) == 1) return;
        _ = GoAwayInTwoPhasesAsync(output);
    }

    /// <summary>The deadline is near: the final GOAWAY waits for the client's ACK no longer.</summary>
    public void StopWaitingForAck() => Hurry.TrySetResult();

    private TaskCompletionSource Hurry =>
        Volatile.Read(ref _hurry)
        ?? Interlocked.CompareExchange(ref _hurry, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null)
        ?? _hurry!;

    private async Task GoAwayInTwoPhasesAsync(CoalescingOutput? output)
    {
        try
        {
            if (output is not null && await output.SendGoAwayAsync().ConfigureAwait(false))
                await ((Task)Task.WhenAny(output.PingAcked, Hurry.Task)).WaitAsync(output.AckTimeout, time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            Deliver();
        }
    }

    /// <summary>The close is Kestrel's from here: it ends the connection after the response it starts next, or now if idle.</summary>
    private void Deliver()
    {
        Volatile.Write(ref _delivered, 1);
        lifetime?.RequestClose();
    }
}
