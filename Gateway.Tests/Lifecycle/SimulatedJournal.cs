using System.Collections.Concurrent;
using Akka.Actor;

namespace Gateway.Tests.Lifecycle;

/// <summary>One port event, stamped with the virtual time it happened and a global sequence number.</summary>
public sealed record JournalEntry(long Seq, DateTimeOffset At, string Event)
{
    public override string ToString() => $"#{Seq} {At:HH:mm:ss.fff} {Event}";
}

/// <summary>
/// The order in which the simulated ports were touched. Ports are called from actor threads, so the journal is
/// thread-safe and the sequence number (not the virtual time, which does not move on its own) gives the order.
/// </summary>
public sealed class SimulatedJournal(IScheduler clock)
{
    private readonly ConcurrentQueue<JournalEntry> _entries = new();
    private long _seq;

    public IScheduler Clock { get; } = clock;

    public JournalEntry Record(string evt)
    {
        var entry = new JournalEntry(Interlocked.Increment(ref _seq), Clock.Now, evt);
        _entries.Enqueue(entry);
        return entry;
    }

    public IReadOnlyList<JournalEntry> Entries => [.. _entries.OrderBy(e => e.Seq)];

    /// <summary>The first entry with this exact event; fails the test when there is none.</summary>
    public JournalEntry First(string evt) =>
        Entries.FirstOrDefault(e => e.Event == evt) ?? throw new Xunit.Sdk.XunitException($"journal has no '{evt}':\n{this}");

    public int Count(string evt) => Entries.Count(e => e.Event == evt);

    public override string ToString() => string.Join("\n", Entries);
}
