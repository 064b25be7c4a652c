using System.Security.Cryptography;
using System.Text;
using Akka.Actor;
using Gateway.Hosting;
using Gateway.Lifecycle;

namespace Gateway.Host.Admin;

/// <summary>
/// The admin API on the admin listener. Reads are GET; everything that changes state is POST. When
/// <c>gateway.admin.token</c> is set, every request must carry <c>Authorization: Bearer &lt;token&gt;</c>.
/// </summary>
internal static class AdminEndpoints
{
    public static WebApplication MapAdmin(this WebApplication app, GatewayRuntime runtime)
    {
        app.Use((context, next) => Authorized(context, runtime) ? next(context) : Unauthorized(context));

        app.MapGet("/", () => Results.Content(AdminPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/ready", () => runtime.State.Ready
            ? Results.Text("ready\n")
            : Results.Text($"draining ({runtime.State.Phase})\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/live", () => Results.Text("live\n"));
        app.MapGet("/drain", () => Results.Json(DrainReport.Of(runtime)));
        app.MapGet("/history", (long? since, int? last, SampleHistory history) =>
            Results.Json(HistoryReport.Of(runtime, history, last is { } n ? history.Last(n) : history.Since(since ?? 0), since ?? 0)));
        app.MapPost("/drain", async (string? listener, bool? leave, DrainController drains) =>
        {
            if (leave == true)
            {
                // A cluster node leaves: it drains first (within the cluster's drain budget), then leaves and exits 0.
                if (runtime.Cluster is not { } cluster)
                    return Results.Json(new { result = "NotClustered", reason = "leave=true needs gateway.cluster.enabled = on" },
                        statusCode: StatusCodes.Status409Conflict);
                if (!runtime.State.Ready || runtime.State.DrainRequestedAt is not null)
                    return Results.Json(new { result = BeginResult.AlreadyDraining.ToString(), report = DrainReport.Of(runtime) },
                        statusCode: StatusCodes.Status409Conflict);
                cluster.Leave("POST /drain?leave=true");
                return Results.Json(new { result = "Leaving", node = cluster.SelfAddress, report = DrainReport.Of(runtime) },
                    statusCode: StatusCodes.Status202Accepted);
            }
            var result = await drains.DrainAsync(listener);
            var status = result switch
            {
                BeginResult.Started => StatusCodes.Status202Accepted,
                BeginResult.UnknownListener => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status409Conflict,
            };
            return Results.Json(new { result = result.ToString(), listener, report = DrainReport.Of(runtime) }, statusCode: status);
        });
        // Takes a drain back at any point before exit; answered once the listeners accept again.
        app.MapPost("/undrain", async (string? listener, DrainController drains) =>
        {
            var answer = await drains.UndrainAsync(listener);
            var status = answer.Result switch
            {
                UndrainResult.Serving => StatusCodes.Status200OK,
                UndrainResult.UnknownListener => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status409Conflict,
            };
            return Results.Json(new { result = answer.Result.ToString(), reason = answer.Reason, listener, report = DrainReport.Of(runtime) }, statusCode: status);
        });
        app.MapPost("/reload", async (GatewayReloader reloader) =>
        {
            var (report, rejected) = await reloader.ReloadFileAsync();
            return rejected is null
                ? Results.Json(new { result = "Reloaded", report = report!.ToString() })
                : Results.Json(new { result = "Rejected", problems = rejected.Problems.Select(p => p.Message) },
                    statusCode: StatusCodes.Status422UnprocessableEntity);
        });
        app.MapGet("/config", () => Results.Json(ConfigReport.Of(runtime)));
        app.MapUpstreams(runtime);
        app.MapPost("/cluster/leave", (string node) => runtime.Cluster switch
        {
            null => Results.Json(new { result = "NotClustered" }, statusCode: StatusCodes.Status409Conflict),
            { } cluster when cluster.LeaveMember(node) => Results.Json(new { result = "Leaving", node }, statusCode: StatusCodes.Status202Accepted),
            _ => Results.Json(new { result = "UnknownMember", node }, statusCode: StatusCodes.Status404NotFound),
        });
        app.MapPost("/cluster/down", (string node) => runtime.Cluster switch
        {
            null => Results.Json(new { result = "NotClustered" }, statusCode: StatusCodes.Status409Conflict),
            { } cluster when cluster.DownMember(node) => Results.Json(new { result = "Downed", node }, statusCode: StatusCodes.Status202Accepted),
            _ => Results.Json(new { result = "UnknownMember", node }, statusCode: StatusCodes.Status404NotFound),
        });
        app.MapGet("/cluster", async () =>
        {
            if (runtime.Cluster is not { } cluster)
                return Results.Json(new { clustered = false }, statusCode: StatusCodes.Status404NotFound);
            var view = await cluster.ViewAsync(TimeSpan.FromSeconds(3));
            return view is null
                ? Results.Json(new { clustered = true, state = "stopped" }, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(view);
        });
        app.MapGet("/tree", async () =>
        {
            // After a drain the tree has stopped (bottom-up); say so rather than time out.
            var tree = await TreeAsk.AskOrStopped<TreeProtocol.TreeNode>(runtime.Supervisor, TreeProtocol.GetTree.Instance, TimeSpan.FromSeconds(3));
            return Results.Json(tree ?? new TreeProtocol.TreeNode("gateway", "stopped", 0, []));
        });
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await runtime.Metrics.WriteAsync(context.Response.Body, context.RequestAborted);
        });
        return app;
    }

    private static bool Authorized(HttpContext context, GatewayRuntime runtime)
    {
        if (runtime.Settings.Admin.Token is not { } token) return true;
        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        // A browser opening the live page cannot send a header: GET requests may carry ?token= instead.
        var presented = header.StartsWith(scheme, StringComparison.Ordinal) ? header[scheme.Length..]
            : HttpMethods.IsGet(context.Request.Method) ? context.Request.Query["token"].ToString()
            : "";
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(token));
    }

    private static Task Unauthorized(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return context.Response.WriteAsync("401 Unauthorized: send Authorization: Bearer <gateway.admin.token>\n");
    }
}

/// <summary>What GET /drain answers: the drain's state and phase, and each listener's connections.</summary>
internal sealed record DrainReport(
    string State,
    int Generation,
    int Pid,
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
        var deadline = started is null ? null : state.Deadline;
        var left = deadline is { } d && state.Phase is not (GatewayPhase.Drained or GatewayPhase.Exiting)
            ? Math.Max(0, (d - state.Time.GetUtcNow()).TotalSeconds) : (double?)null;
        return new DrainReport(
            StateName(state.Phase, runtime.Cluster?.Gate.State.Status is Gateway.Cluster.SlotStatus.Requested or Gateway.Cluster.SlotStatus.Queued),
            runtime.Generation,
            Environment.ProcessId,
            state.Phase.ToString(),
            state.Ready,
            state.Reason?.ToString(),
            started,
            deadline,
            left,
            state.Result?.Outcome.ToString(),
            runtime.Listeners.All.Select(l => new ListenerReport(
                l.Name, l.Address.ToString(), runtime.Generation, l.Accepting, l.OpenConnections, l.IdleConnections,
                l.ActiveConnections, l.InFlightRequests, l.Streams, l.AcceptedConnections, l.ForcedConnections,
                l.Protocol.ToString().ToLowerInvariant(), ListenerStateName(runtime, l.Name), l.Requests)).ToList());
    }

    /// <summary>serving, queued (a cluster node waiting for a drain slot, still serving), draining, drained.</summary>
    private static string StateName(GatewayPhase phase, bool queued) => phase switch
    {
        GatewayPhase.Serving => queued ? "queued" : "serving",
        GatewayPhase.Drained or GatewayPhase.Exiting => "drained",
        GatewayPhase.Resuming => "resuming",
        _ => "draining",
    };

    /// <summary>A listener drained alone says so; otherwise it is where the gateway is.</summary>
    private static string ListenerStateName(GatewayRuntime runtime, string listener) =>
        runtime.State.Phase == GatewayPhase.Serving ? StateName(runtime.ListenerState(listener).Phase, queued: false) : StateName(runtime.State.Phase, queued: false);
}

/// <summary>One listener in GET /drain; <see cref="Requests"/> counts the requests answered since the process started.</summary>
internal sealed record ListenerReport(
    string Name, string Address, int Generation, bool Accepting, long Open, long Idle, long Active, long InFlight,
    long Streams, long Accepted, long Forced, string Protocol, string State, long Requests);

/// <summary>
/// GET /history[?since=T | ?last=N]: the samples of the last five minutes (after T, Unix ms, for a page that has the
/// rest; or the newest N), the
/// phase changes among them, and the drain's t = 0 and deadline when one is under way.
/// </summary>
internal static class HistoryReport
{
    public static object Of(GatewayRuntime runtime, SampleHistory history, IReadOnlyList<Sample> samples, long since)
    {
        var state = runtime.State;
        var started = state.DrainStartedAt;
        return new
        {
            intervalSeconds = SampleHistory.Interval.TotalSeconds,
            capacity = SampleHistory.Capacity,
            now = state.Time.GetUtcNow().ToUnixTimeMilliseconds(),
            samples,
            phases = history.MarksSince(since),
            drain = started is null ? null : new
            {
                startedAt = started.Value.ToUnixTimeMilliseconds(),
                deadline = state.Deadline?.ToUnixTimeMilliseconds(),
                reason = state.Reason?.ToString(),
            },
        };
    }
}

/// <summary>GET /config: the effective configuration (as `config --json` prints it), secrets masked, and the generation.</summary>
internal static class ConfigReport
{
    public static object Of(GatewayRuntime runtime) => new
    {
        generation = runtime.Generation,
        listenersBound = runtime.Listeners.All.ToDictionary(l => l.Name, l => l.Address.ToString()),
        source = runtime.Settings.Source,
        config = Cli.EffectiveConfig.Json(runtime.Settings),
        // What each TLS listener serves now (after any rotation), and what it turned away.
        tls = runtime.Listeners.All.Where(l => l.Tls is not null).ToDictionary(l => l.Name, l => new
        {
            certificates = l.Tls!.InService.Select(c => new
            {
                name = c.Name,
                subject = c.Subject,
                subjectAlternativeNames = c.SubjectAlternativeNames,
                serial = c.Serial,
                notBefore = c.NotBefore,
                notAfter = c.NotAfter,
                daysToExpiry = Math.Round(c.DaysToExpiry(runtime.State.Time.GetUtcNow()), 2),
                file = c.File,
            }),
            refused = Enum.GetValues<Gateway.Tls.TlsRefusal>().ToDictionary(Gateway.Tls.TlsRefusalNames.Of, l.TlsRefused),
        }),
    };
}
