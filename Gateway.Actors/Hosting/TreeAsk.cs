using Akka.Actor;

namespace Gateway.Hosting;

/// <summary>Asking the gateway tree from outside, where the asked actor may already have stopped.</summary>
internal static class TreeAsk
{
    /// <summary>Asks <paramref name="actor"/>; a stopped actor (e.g. forced earlier) answers null instead of hanging.</summary>
    public static async Task<T?> AskOrStopped<T>(IActorRef actor, object message, TimeSpan timeout) where T : class
    {
        using var cancel = new CancellationTokenSource(timeout);
        var stopped = actor.WatchAsync(cancel.Token);
        var answer = actor.Ask<T>(message, timeout);
        await Task.WhenAny(answer, stopped);
        // An actor answers and then stops: the two may be seen in either order, so give the answer a moment.
        if (!answer.IsCompleted)
            await Task.WhenAny(answer, Task.Delay(TimeSpan.FromMilliseconds(200)));
        return answer.IsCompletedSuccessfully ? answer.Result : null;
    }

}
