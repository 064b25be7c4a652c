namespace Gateway.Configuration;

/// <summary>
/// Runs the reading of a configuration on a thread of its own with a time limit, so that nothing a file holds can
/// hold up the caller (a running gateway's reload) for longer: a file that is a pipe nobody writes, a certificate path
/// that is a device. The strict reader and the size limits keep every real parse far below it. A thread that overruns
/// is abandoned (a thread cannot be stopped) and the file is refused.
/// </summary>
internal static class ConfigGuard
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Room for Akka's recursive reader and merge at the deepest nesting the strict reader lets through.</summary>
    private const int StackBytes = 16 * 1024 * 1024;

    public static async Task<T> RunAsync<T>(Func<T> read, string source)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                done.SetResult(read());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        }, StackBytes)
        {
            IsBackground = true,
            Name = "gateway config reader",
        };
        thread.Start();
        try
        {
            return await done.Task.WaitAsync(Limit);
        }
        catch (TimeoutException)
        {
            throw new GatewayConfigException(source, GatewayConfigException.FileKey,
                $"reading the configuration did not finish within {Limit.TotalSeconds:0}s (is a file it names a pipe or a device?): it is refused");
        }
        catch (Exception e) when (e is not GatewayConfigException)
        {
            // A failure of the reader itself: the file is refused with the reason rather than take the caller down.
            throw new GatewayConfigException(source, GatewayConfigException.FileKey, $"the configuration cannot be read: {OneLine(e.Message)}", e);
        }
    }

    public static T Run<T>(Func<T> read, string source) => RunAsync(read, source).GetAwaiter().GetResult();

    public static string OneLine(string s) => string.Join(' ', s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
