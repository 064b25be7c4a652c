using System.Text.Json;
using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Microsoft.Extensions.Logging;

namespace Gateway.Telemetry;

/// <summary>One served request, as one JSON line of the access log.</summary>
/// <param name="GrpcStatus">A gRPC call's <c>grpc-status</c> (left out of the line for other requests).</param>
internal sealed record AccessLogEntry(
    DateTimeOffset Time, int Generation, string Listener, string? Route, string? Upstream, string Method, string Path,
    string Protocol, int Status, long? Bytes, double DurationMs, string? Client,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] int? GrpcStatus = null);

/// <summary>
/// The access log: requests enter a bounded queue without waiting (a full queue drops the entry and counts it — the
/// data path never slows down for the log), and an Akka.Streams pipeline writes them in batches. It is completed
/// after the drain, so the last request of a drain is in the log when the process leaves.
/// </summary>
internal partial class AccessLog
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Channel<AccessLogEntry> _queue;
    private readonly TextWriter _sink;
    private ILogger _logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    private Task _written = Task.CompletedTask;
    private long _dropped;
    private long _lines;

    /// <summary>Opens the configured sink (stdout, or a file appended to); one that cannot be opened is a config error.</summary>
    internal static AccessLog Open(Configuration.GatewaySettings settings, Configuration.AccessLogSettings log)
    {
        TextWriter sink;
        try
        {
            sink = log.Path == "stdout" ? Console.Out : new StreamWriter(new FileStream(log.Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Configuration.GatewayConfigException(settings.Source, "gateway.access-log.path", $"cannot open {log.Path}: {e.Message}", e);
        }
        return new AccessLog(sink, log.Buffer);
    }

    public AccessLog(TextWriter sink, int capacity)
    {
        _sink = sink;
        _queue = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then says "full" instead of dropping silently
            SingleReader = true,
        });
    }

    /// <summary>Entries dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Lines written so far.</summary>
    public long Written => Interlocked.Read(ref _lines);

    /// <summary>Starts the writing stream (batches of up to 256 lines, or what 200 ms gathered).</summary>
    public void Start(ActorSystem system, ILogger logger)
    {
        _logger = logger;
        _written = ChannelSource.FromReader(_queue.Reader)
            .GroupedWithin(256, TimeSpan.FromMilliseconds(200))
            .SelectAsync(1, WriteBatchAsync)
            .RunWith(Sink.Ignore<Done>(), system.Materializer());
    }

    /// <summary>Queues one entry; never waits. A full queue drops it and counts the drop.</summary>
    public void Write(AccessLogEntry entry)
    {
        if (_queue.Writer.TryWrite(entry)) return;
        var dropped = Interlocked.Increment(ref _dropped);
        if ((dropped & (dropped - 1)) == 0) // 1, 2, 4, 8…: a warning that does not flood the log itself
            Log.Dropped(_logger, dropped);
    }

    /// <summary>Completes the log: what is queued is written and flushed, then the stream ends.</summary>
    public async Task CompleteAsync()
    {
        _queue.Writer.TryComplete();
        await _written;
        await _sink.FlushAsync();
        if (Dropped > 0) Log.Dropped(_logger, Dropped);
    }

    private async Task<Done> WriteBatchAsync(IEnumerable<AccessLogEntry> batch)
    {
        var count = 0;
        foreach (var entry in batch)
        {
            await _sink.WriteLineAsync(JsonSerializer.Serialize(entry, Json));
            count++;
        }
        await _sink.FlushAsync();
        Interlocked.Add(ref _lines, count);
        return Done.Instance;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = Gateway.EventIds.AccessLogDropped, Level = LogLevel.Warning,
            Message = "Access log: {Dropped} entries dropped so far (the log could not keep up; requests were not slowed)")]
        public static partial void Dropped(ILogger logger, long dropped);
    }
}
