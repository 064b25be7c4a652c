using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Simulation;

/// <summary>The drain driver's log lines in the simulation's journal ("log 27 Drain of the gateway: …"), at their virtual time.</summary>
public sealed class JournalLogger(SimulatedJournal journal) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        journal.Record($"log {eventId.Id} {formatter(state, exception)}");
}
