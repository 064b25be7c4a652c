using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Gateway.Tests.Tls;

/// <summary>Keeps every log line of an in-process gateway (category, level, message) for assertions.</summary>
public sealed class CapturedLog(LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    /// <summary>One entry as the provider received it: the structured state beside the formatted message.</summary>
    public sealed record Entry(LogLevel Level, string Category, EventId Id, string Message, Exception? Exception,
        IReadOnlyList<KeyValuePair<string, object?>> State);

    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly LogLevel _minimum = minimum;

    public IReadOnlyList<Entry> Entries => _entries.ToList();

    public IReadOnlyList<string> Lines => _entries.Select(e => $"{e.Level} {e.Category}: {e.Message}").ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => logLevel >= log._minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var properties = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
            log._entries.Enqueue(new Entry(logLevel, category, eventId, formatter(state, exception), exception, [.. properties]));
        }
    }
}
