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
        app.MapGet("/drain", () => Results.Json(AdminReports.Drain(runtime), AdminJson.Default.DrainReport));
        app.MapGet("/history", (long? since, int? last, SampleHistory history) =>
            Results.Json(AdminReports.History(runtime, history, last is { } n ? history.Last(n) : history.Since(since ?? 0), since ?? 0), AdminJson.Default.HistoryReport));
        app.MapPost("/drain", async (string? listener, bool? leave, DrainController drains) =>
        {
            if (leave == true)
            {
                // A cluster node leaves: it drains first (within the cluster's drain budget), then leaves and exits 0.
                if (runtime.Cluster is not { } cluster)
                    return Results.Json(new LeaveAnswer("NotClustered", Reason: "leave=true needs gateway.cluster.enabled = on"), AdminJson.Default.LeaveAnswer,
                        statusCode: StatusCodes.Status409Conflict);
                if (!runtime.State.Ready || runtime.State.DrainRequestedAt is not null)
                    return Results.Json(new LeaveAnswer(BeginResult.AlreadyDraining.ToString(), Report: AdminReports.Drain(runtime)), AdminJson.Default.LeaveAnswer,
                        statusCode: StatusCodes.Status409Conflict);
                cluster.Leave("POST /drain?leave=true");
                return Results.Json(new LeaveAnswer("Leaving", cluster.SelfAddress, AdminReports.Drain(runtime)), AdminJson.Default.LeaveAnswer,
                    statusCode: StatusCodes.Status202Accepted);
            }
            var result = await drains.DrainAsync(listener);
            var status = result switch
            {
                BeginResult.Started => StatusCodes.Status202Accepted,
                BeginResult.UnknownListener => StatusCodes.Status404NotFound,
                _ => StatusCodes.Status409Conflict,
            };
            return Results.Json(new DrainAnswer(result.ToString(), listener, AdminReports.Drain(runtime)), AdminJson.Default.DrainAnswer, statusCode: status);
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
            return Results.Json(new UndrainAnswer(answer.Result.ToString(), answer.Reason, listener, AdminReports.Drain(runtime)), AdminJson.Default.UndrainAnswer, statusCode: status);
        });
        app.MapPost("/reload", async (GatewayReloader reloader) =>
        {
            var (report, rejected) = await reloader.ReloadFileAsync();
            return rejected is null
                ? Results.Json(new ReloadAnswer("Reloaded", report!.ToString()), AdminJson.Default.ReloadAnswer)
                : Results.Json(new ReloadAnswer("Rejected", Problems: [.. rejected.Problems.Select(p => p.Message)]), AdminJson.Default.ReloadAnswer,
                    statusCode: StatusCodes.Status422UnprocessableEntity);
        });
        app.MapGet("/config", () => Results.Json(AdminReports.Config(runtime), AdminJson.Default.ConfigReport));
        app.MapUpstreams(runtime);
        app.MapPost("/cluster/leave", (string node) => runtime.Cluster switch
        {
            null => Results.Json(new MemberAnswer("NotClustered"), AdminJson.Default.MemberAnswer, statusCode: StatusCodes.Status409Conflict),
            { } cluster when cluster.LeaveMember(node) => Results.Json(new MemberAnswer("Leaving", node), AdminJson.Default.MemberAnswer, statusCode: StatusCodes.Status202Accepted),
            _ => Results.Json(new MemberAnswer("UnknownMember", node), AdminJson.Default.MemberAnswer, statusCode: StatusCodes.Status404NotFound),
        });
        app.MapPost("/cluster/down", (string node) => runtime.Cluster switch
        {
            null => Results.Json(new MemberAnswer("NotClustered"), AdminJson.Default.MemberAnswer, statusCode: StatusCodes.Status409Conflict),
            { } cluster when cluster.DownMember(node) => Results.Json(new MemberAnswer("Downed", node), AdminJson.Default.MemberAnswer, statusCode: StatusCodes.Status202Accepted),
            _ => Results.Json(new MemberAnswer("UnknownMember", node), AdminJson.Default.MemberAnswer, statusCode: StatusCodes.Status404NotFound),
        });
        app.MapGet("/cluster", async () =>
        {
            if (runtime.Cluster is not { } cluster)
                return Results.Json(new ClusterAbsent(false), AdminJson.Default.ClusterAbsent, statusCode: StatusCodes.Status404NotFound);
            var view = await cluster.ViewAsync(TimeSpan.FromSeconds(3));
            return view is null
                ? Results.Json(new ClusterAbsent(true, "stopped"), AdminJson.Default.ClusterAbsent, statusCode: StatusCodes.Status503ServiceUnavailable)
                : Results.Json(view, AdminJson.Default.ClusterReport);
        });
        app.MapGet("/tree", async () =>
        {
            // After a drain the tree has stopped (bottom-up); say so rather than time out.
            var tree = await TreeAsk.AskOrStopped<TreeProtocol.TreeNode>(runtime.Supervisor, TreeProtocol.GetTree.Instance, TimeSpan.FromSeconds(3));
            return Results.Json(tree ?? new TreeProtocol.TreeNode("gateway", "stopped", 0, []), AdminJson.Default.TreeNode);
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
