using System.Collections.Concurrent;
using Akka.Actor;

namespace Gateway.Tests.Simulation;

/// <summary>One port or lifecycle event, stamped with the virtual time it happened and a global sequence number.</summary>
public sealed record JournalEntry(long Seq, DateTimeOffset At, string Event)
{
    public override string ToString() => $"#{Seq} {At:HH:mm:ss.fff} {Event}";
}

/// <summary>
/// The order in which the simulated ports were touched (and, in a <see cref="GatewaySimulation"/>, when each actor
/// stopped). Ports may be called from actor threads, so the journal is thread-safe and the sequence number (not the
/// virtual time, which does not move on its own) gives the order. A journal made with <c>enabled: false</c> records
/// nothing (benchmarks at 100,000 connections).
/// </summary>
public sealed class SimulatedJournal(IScheduler clock, bool enabled = true)
{
    private readonly ConcurrentQueue<JournalEntry> _entries = new();
    private long _seq;

    public IScheduler Clock { get; } = clock;

    public bool Enabled { get; } = enabled;

    public JournalEntry? Record(string evt)
    {
        if (!Enabled) return null;
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
