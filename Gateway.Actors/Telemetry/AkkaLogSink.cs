using System.Collections;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Gateway.Telemetry;

/// <summary>
/// The application's logger factory, handed to <see cref="AkkaLogSink"/> through the actor system's setup; and the sink,
/// once started, so that the shutdown can wait for it (<see cref="FlushAsync"/>).
/// </summary>
internal sealed class AkkaLogSinkSetup(ILoggerFactory loggers) : Setup
{
    /// <summary>The longest the stop waits for Akka's log to be written.</summary>
    internal static readonly TimeSpan FlushLimit = TimeSpan.FromSeconds(2);

    private IActorRef? _sink;

    public ILoggerFactory Loggers { get; } = loggers;

    internal void Attach(IActorRef sink) => Volatile.Write(ref _sink, sink);

    /// <summary>
    /// Completes once every Akka log event published before it has been written, or after <see cref="FlushLimit"/>.
    /// Akka hands what its logger has not yet written when the actor system stops to its standard-out logger: the
    /// drain's last lines (written while the thread pool is busiest) would come out in another format than the log's.
    /// </summary>
    public async Task FlushAsync()
    {
        if (Volatile.Read(ref _sink) is not { } sink) return;
        try
        {
            await sink.Ask<AkkaLogSink.Flushed>(AkkaLogSink.Flush.Instance, FlushLimit).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AskTimeoutException or TaskCanceledException)
        {
            // A log provider that does not keep up must not hold the exit: what is left goes Akka's way.
        }
    }
}

/// <summary>
/// Akka's logger actor for Microsoft.Extensions.Logging: each Akka log event becomes one entry whose category is the
/// class that logged and whose message is Akka's message alone. Akka's own <c>[INFO][date][Thread]</c> prefix would
/// repeat what the log provider writes (a second timestamp, in the JSON format inside the message).
/// </summary>
internal sealed class AkkaLogSink : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    /// <summary>Answered with <see cref="Flushed"/> once every event before it has been written.</summary>
    internal sealed record Flush
    {
        public static readonly Flush Instance = new();
        public override string ToString() => "Flush";
    }

    internal sealed record Flushed
    {
        public static readonly Flushed Instance = new();
        public override string ToString() => "Flushed";
    }

    private readonly ILoggerFactory _loggers;
    private readonly Dictionary<string, ILogger> _byCategory = [];

    public AkkaLogSink()
    {
        var setup = Context.System.Settings.Setup.Get<AkkaLogSinkSetup>().Value
            ?? throw new InvalidOperationException($"{nameof(AkkaLogSink)} needs an {nameof(AkkaLogSinkSetup)} in the actor system's setup");
        _loggers = setup.Loggers;
        setup.Attach(Self);
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(Write);
        Receive<Flush>(_ => Sender.Tell(Flushed.Instance));
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
