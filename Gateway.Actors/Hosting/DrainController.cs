using Gateway.Lifecycle;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// Drains without exiting, for operators (the admin API, the page, the CLI): the <see cref="DrainDriver"/>'s timeline
/// — announce, stop accepting, finish in-flight work, force at the deadline — but the process stays up, answering
/// /ready with 503, until the drain is taken back (at any point before an exit). A cluster node waits for a slot of
/// the drain budget first.
/// </summary>
internal partial class DrainController(GatewayRuntime runtime, ILogger<DrainController> logger)
{
    /// <summary>How long an operator's request waits for the driver's answer (an undrain: until the listeners accept again).</summary>
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(15);

    /// <summary>Drains the whole gateway, or one listener (the others serve on).</summary>
    public async Task<BeginResult> DrainAsync(string? listener)
    {
        var begun = await TreeAsk.AskOrStopped<DrainCommands.Begun>(runtime.Driver,
            new DrainCommands.Begin(DrainReason.Admin, Exit: false, Listener: listener), AnswerLimit);
        var result = begun?.Result ?? BeginResult.AlreadyDraining;
        if (result == BeginResult.Started) Log.AdminDrain(logger, listener is null ? "all listeners" : $"listener {listener}");
        return result;
    }

    /// <summary>Takes a drain back: answered once the listeners accept again, or with why not.</summary>
    public async Task<DrainCommands.Undrained> UndrainAsync(string? listener)
    {
        var answer = await TreeAsk.AskOrStopped<DrainCommands.Undrained>(runtime.Driver, new DrainCommands.Undrain(listener), AnswerLimit)
                     ?? new DrainCommands.Undrained(UndrainResult.Exiting, "the gateway has stopped");
        if (answer.Result == UndrainResult.Serving) Log.Undrained(logger, listener is null ? "the gateway" : $"listener {listener}");
        return answer;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AdminDrain, Level = LogLevel.Information, Message = "Admin drain of {What} started (the process stays up)")]
        public static partial void AdminDrain(ILogger logger, string what);

        [LoggerMessage(EventId = EventIds.AdminUndrain, Level = LogLevel.Information, Message = "Admin undrain: {What} serves again")]
        public static partial void Undrained(ILogger logger, string what);
    }
}
