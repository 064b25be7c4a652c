using Microsoft.Extensions.Logging;

namespace Gateway.Lifecycle;

/// <summary>The drain driver's log: each change of state once (event ids 22–28), with the times a reader wants.</summary>
internal static partial class DrainLog
{
    [LoggerMessage(EventId = EventIds.PhaseStarted, Level = LogLevel.Information,
        Message = "Drain started: readiness is 503; announce {AnnounceSeconds}s, deadline {DeadlineSeconds}s ({Reason})")]
    public static partial void Started(ILogger logger, DrainReason reason, double announceSeconds, double deadlineSeconds);

    [LoggerMessage(EventId = EventIds.PhaseStarted, Level = LogLevel.Information,
        Message = "Drain of listener {Listener} started: announce {AnnounceSeconds}s, deadline {DeadlineSeconds}s ({Reason}); the others serve")]
    public static partial void ListenerStarted(ILogger logger, string listener, DrainReason reason, double announceSeconds, double deadlineSeconds);

    [LoggerMessage(EventId = EventIds.DrainStopAccepting, Level = LogLevel.Information,
        Message = "Drain of {Scope}: announce over {Milliseconds:0}ms after t = 0; stopping accepting")]
    public static partial void StopAccepting(ILogger logger, string scope, double milliseconds);

    [LoggerMessage(EventId = EventIds.PhaseEnded, Level = LogLevel.Information,
        Message = "Drain phase unbind done in {Milliseconds:0}ms: listeners accept no new connections ({Scope})")]
    public static partial void Unbound(ILogger logger, double milliseconds, string scope);

    [LoggerMessage(EventId = EventIds.PhaseEnded, Level = LogLevel.Warning,
        Message = "Drain of {Scope}: the listeners did not say they stopped accepting within {Seconds}s; draining anyway")]
    public static partial void UnbindOverdue(ILogger logger, string scope, double seconds);

    [LoggerMessage(EventId = EventIds.DrainFinished, Level = LogLevel.Information,
        Message = "Drain finished: {Outcome} ({Counts}) after {PhaseMilliseconds:0}ms of draining, {TotalMilliseconds:0}ms after the signal ({Scope}){StaysUp}")]
    public static partial void Finished(ILogger logger, string scope, string outcome, string counts, double phaseMilliseconds, double totalMilliseconds, string staysUp);

    [LoggerMessage(EventId = EventIds.DrainFinished, Level = LogLevel.Warning,
        Message = "Drain finished without the tree's report: it did not answer by its deadline ({Scope}){StaysUp}")]
    public static partial void FinishOverdue(ILogger logger, string scope, string staysUp);

    [LoggerMessage(EventId = EventIds.DrainTransition, Level = LogLevel.Information,
        Message = "Drain of {Scope}: {From} → {To}")]
    public static partial void Entered(ILogger logger, string scope, GatewayPhase from, GatewayPhase to);

    [LoggerMessage(EventId = EventIds.DrainTakenBack, Level = LogLevel.Information,
        Message = "Drain of {Scope} taken back: serving again (readiness 200)")]
    public static partial void ServingAgain(ILogger logger, string scope);

    [LoggerMessage(EventId = EventIds.DrainTakenBack, Level = LogLevel.Error,
        Message = "Drain of {Scope} taken back, but not every listener accepts again: {Failures}; still drained (not ready)")]
    public static partial void ResumeFailed(ILogger logger, string scope, string failures);
}
