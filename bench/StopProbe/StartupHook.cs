using System.Runtime.InteropServices;

/// <summary>
/// Notes the garbage collector's counts at the first SIGTERM and writes, at exit, one line to stderr:
/// <c>stop-probe: allocated K KiB, collections gen0 A gen1 B gen2 C, pause P ms, process exit at E ms</c> (E: from the
/// signal to the runtime's exit event, so that the rest to the process's end is the runtime's and the kernel's teardown). It takes nothing from the signal:
/// the process's own handlers run as before.
/// </summary>
internal static class StartupHook
{
    // Kept: a registration that is collected unregisters its handler.
    internal static PosixSignalRegistration? Registration;
    private static long _allocated;
    private static int _gen0, _gen1, _gen2;
    private static TimeSpan _pause;
    private static int _signalled;
    private static long _signalledAt;

    public static void Initialize()
    {
        Registration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Mark());
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (Volatile.Read(ref _signalled) == 0) return;
            Console.Error.WriteLine(
                $"stop-probe: allocated {(GC.GetTotalAllocatedBytes() - _allocated) / 1024} KiB, collections gen0 {GC.CollectionCount(0) - _gen0} " +
                $"gen1 {GC.CollectionCount(1) - _gen1} gen2 {GC.CollectionCount(2) - _gen2}, pause {(GC.GetTotalPauseDuration() - _pause).TotalMilliseconds:0} ms, " +
                $"process exit at {System.Diagnostics.Stopwatch.GetElapsedTime(_signalledAt).TotalMilliseconds:0} ms");
        };
    }

    private static void Mark()
    {
        if (Interlocked.Exchange(ref _signalled, 1) == 1) return;
        _signalledAt = System.Diagnostics.Stopwatch.GetTimestamp();
        _allocated = GC.GetTotalAllocatedBytes();
        (_gen0, _gen1, _gen2) = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        _pause = GC.GetTotalPauseDuration();
    }
}
