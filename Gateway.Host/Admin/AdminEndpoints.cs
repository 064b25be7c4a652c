using Gateway.Hosting;
using Gateway.Lifecycle;

namespace Gateway.Host.Admin;

/// <summary>The admin API on the admin listener: readiness, liveness and the drain's progress.</summary>
internal static class AdminEndpoints
{
    public static WebApplication MapAdmin(this WebApplication app, GatewayRuntime runtime)
    {
        app.MapGet("/ready", () => runtime.State.Ready
            ? Results.Text("ready\n")
            : Results.Text($"draining ({runtime.State.Phase})\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/live", () => Results.Text("live\n"));
        app.MapGet("/drain", () => Results.Json(DrainReport.Of(runtime)));
        return app;
    }
}

/// <summary>What GET /drain answers: the drain's state and phase, and each listener's connections.</summary>
internal sealed record DrainReport(
    string State,
    int Generation,
    string Phase,
    bool Ready,
    string? Reason,
    DateTimeOffset? StartedAt,
    DateTimeOffset? Deadline,
    double? SecondsToDeadline,
    string? Outcome,
    IReadOnlyList<ListenerReport> Listeners)
{
    public static DrainReport Of(GatewayRuntime runtime)
    {
        var state = runtime.State;
        var started = state.DrainStartedAt;
        var deadline = started + runtime.Settings.Drain.Deadline;
        var left = deadline is { } d ? Math.Max(0, (d - state.Time.GetUtcNow()).TotalSeconds) : (double?)null;
        return new DrainReport(
            state.Phase == GatewayPhase.Serving ? "serving" : state.Phase == GatewayPhase.Drained ? "drained" : "draining",
            runtime.Generation,
            state.Phase.ToString(),
            state.Ready,
            state.Reason?.ToString(),
            started,
            deadline,
            left,
            state.Result?.Outcome.ToString(),
            runtime.Listeners.All.Select(l => new ListenerReport(
                l.Name, l.Address.ToString(), l.Accepting, l.OpenConnections, l.IdleConnections, l.ActiveConnections,
                l.InFlightRequests, l.AcceptedConnections)).ToList());
    }
}

/// <summary>One listener in GET /drain.</summary>
internal sealed record ListenerReport(
    string Name, string Address, bool Accepting, long Open, long Idle, long Active, long InFlight, long Accepted);
