namespace Gateway.Tests.Support;

/// <summary>Polls a condition of a real system until it holds; bounded, so a broken behaviour fails instead of hanging.</summary>
public static class Wait
{
    public static readonly TimeSpan DefaultLimit = TimeSpan.FromSeconds(20);

    public static async Task UntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken = default, TimeSpan? limit = null)
    {
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bound.CancelAfter(limit ?? DefaultLimit);
        while (!await condition())
            await Task.Delay(50, bound.Token);
    }

    public static Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken = default, TimeSpan? limit = null) =>
        UntilAsync(() => Task.FromResult(condition()), cancellationToken, limit);
}
