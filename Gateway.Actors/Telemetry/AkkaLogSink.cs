using System.Collections;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Gateway.Telemetry;

/// <summary>The application's logger factory, handed to <see cref="AkkaLogSink"/> through the actor system's setup.</summary>
internal sealed class AkkaLogSinkSetup(ILoggerFactory loggers) : Setup
{
    public ILoggerFactory Loggers { get; } = loggers;
}

/// <summary>
/// Akka's logger actor for Microsoft.Extensions.Logging: each Akka log event becomes one entry whose category is the
/// class that logged and whose message is Akka's message alone. Akka's own <c>[INFO][date][Thread]</c> prefix would
/// repeat what the log provider writes (a second timestamp, in the JSON format inside the message).
/// </summary>
internal sealed class AkkaLogSink : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private readonly ILoggerFactory _loggers;
    private readonly Dictionary<string, ILogger> _byCategory = [];

    public AkkaLogSink()
    {
        _loggers = Context.System.Settings.Setup.Get<AkkaLogSinkSetup>().Value?.Loggers
            ?? throw new InvalidOperationException($"{nameof(AkkaLogSink)} needs an {nameof(AkkaLogSinkSetup)} in the actor system's setup");
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
    }

    private void Write(LogEvent e)
    {
        var category = e.LogClass?.FullName ?? e.LogSource ?? "Akka";
        if (!_byCategory.TryGetValue(category, out var logger)) _byCategory[category] = logger = _loggers.CreateLogger(category);
        var level = Level(e.LogLevel());
        if (!logger.IsEnabled(level)) return;
        logger.Log(level, default, new Entry(e.Message?.ToString() ?? "", e.LogSource), e.Cause, static (entry, _) => entry.Message);
    }

    private static LogLevel Level(Akka.Event.LogLevel level) => level switch
    {
        Akka.Event.LogLevel.DebugLevel => LogLevel.Debug,
        Akka.Event.LogLevel.InfoLevel => LogLevel.Information,
        Akka.Event.LogLevel.WarningLevel => LogLevel.Warning,
        _ => LogLevel.Error,
    };

    /// <summary>The message, with the Akka source (the actor's path, say) as a structured property beside it.</summary>
    private sealed record Entry(string Message, string? Source) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public int Count => 3;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("Message", Message),
            1 => new("AkkaSource", Source),
            _ => new("{OriginalFormat}", "{Message}"),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return this[i];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}
