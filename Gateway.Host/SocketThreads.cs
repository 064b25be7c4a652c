namespace Gateway.Host;

/// <summary>
/// Runs socket completions inline on the runtime's socket threads instead of queueing each one to the thread pool, so a
/// proxied request stays on one thread from the client's bytes to the upstream's answer and back (Kestrel schedules
/// inline too, see Listeners/OwnedSocketTransport). Measured with bench/throughput on 2 cores: about a third less CPU per
/// request. One thread fewer than the cores, because the actors, timers and the GC need a core as well: with as many
/// socket threads as cores the p99 latency doubled there.
/// </summary>
/// <remarks>
/// The runtime reads these variables once, when the first socket is made: they are set before that, and a value the
/// user set in the environment is kept.
/// </remarks>
internal static class SocketThreads
{
    public const string InlineVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    public const string CountVariable = "DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT";

    /// <summary>The socket thread count for <c>gateway.io-threads</c> (null: auto) on a machine with that many cores.</summary>
    public static int CountFor(int? configured, int cores) => configured ?? Math.Max(1, cores - 1);

    /// <summary>Sets the variables the user has not set; returns how the sockets will run, for the startup log.</summary>
    public static string Apply(int? configured)
    {
        if (Environment.GetEnvironmentVariable(InlineVariable) is null)
            Environment.SetEnvironmentVariable(InlineVariable, "1");
        if (Environment.GetEnvironmentVariable(CountVariable) is null)
            Environment.SetEnvironmentVariable(CountVariable, CountFor(configured, Environment.ProcessorCount).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var inline = Environment.GetEnvironmentVariable(InlineVariable) == "1";
        return $"{Environment.GetEnvironmentVariable(CountVariable)} socket thread(s), completions {(inline ? "inline" : "on the thread pool")}";
    }
}
