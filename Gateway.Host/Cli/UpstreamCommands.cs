using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gateway.Host.Admin;
using Gateway.Upstreams;

namespace Gateway.Host.Cli;

/// <summary>
/// <c>upstreams</c> (every endpoint's state) and <c>drain --upstream NAME --endpoint EP [--wait]</c>: the gateway's
/// drain applied to one backend, watched until it is drained.
/// </summary>
internal static class UpstreamCommands
{
    public static async Task<int> ListAsync(AdminApi admin, CommandOutput commandOutput, CancellationToken cancellationToken)
    {
        var output = commandOutput.Out;
        var answer = await admin.GetAsync("/upstreams", cancellationToken);
        if (commandOutput.Json)
        {
            output.WriteLine(answer.Text);
            return ExitCodes.Ok;
        }
        // A gateway alone answers without `nodes`: the cluster's record reads both.
        var report = answer.Read(AdminJson.Default.ClusterUpstreamsReport);
        output.WriteLine($"{"upstream",-12} {"endpoint",-24} {"state",-9} {"share",5} {"in-flight",9} {"requests",9} {"failures",8}  last check");
        foreach (var upstream in report.Upstreams)
            foreach (var e in upstream.Endpoints)
            {
                var check = e.LastCheck is { } c ? $"{(c.Passed ? "passed" : "failed")} ({c.Detail}) at {c.At:HH:mm:ss}" : "–";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{upstream.Name,-12} {Endpoint(e),-24} {e.State,-9} {e.Share,5:0.00} {e.InFlight,9} {e.Requests,9} {e.Failures,8}  {check}"));
            }
        foreach (var node in report.Nodes ?? [])
        {
            var states = node.Upstreams is { } u
                ? string.Join(", ", u.SelectMany(p => p.Value.Select(e => $"{p.Key} {e.Key} {e.Value}")))
                : "(no status yet)";
            output.WriteLine($"node {node.Address}{(node.Self ? " (this one)" : "")}: {states}");
        }
        return ExitCodes.Ok;
    }

    /// <summary>Drains one endpoint; with <paramref name="wait"/>, shows it until drained: 0 when it finished on its own, 1 when forced.</summary>
    public static async Task<int> DrainAsync(AdminApi admin, string upstream, string? endpoint, string? scope, bool wait,
        CommandOutput commandOutput, CancellationToken cancellationToken)
    {
        var (output, json) = (commandOutput.Out, commandOutput.Json);
        if (string.IsNullOrWhiteSpace(endpoint))
            return commandOutput.Fail(ExitCodes.Usage, "drain --upstream needs --endpoint host:port (see `upstreams` for the endpoints)");
        var answer = await ChangeAsync(admin, "drain", upstream, endpoint, scope, cancellationToken);
        if (answer.Status != 202) return Refused(commandOutput, "drain", answer);
        var taken = answer.Read(AdminJson.Default.EndpointChangeAnswer);
        var key = taken.Endpoint;
        var clusterWide = taken.Scope == "cluster";
        if (!wait)
        {
            commandOutput.Result(answer, $"endpoint {key} of upstream {upstream}: {taken.Result.ToLowerInvariant()}");
            return ExitCodes.Ok;
        }

        var live = !json && !Console.IsOutputRedirected;
        var watch = Stopwatch.StartNew();
        var forcedBefore = (long?)null;
        while (true)
        {
            var report = await admin.GetAsync("/upstreams", AdminJson.Default.ClusterUpstreamsReport, cancellationToken);
            var rows = report.Upstreams.Where(u => u.Name == upstream).SelectMany(u => u.Endpoints).Where(e => Is(e, key)).ToList();
            var inFlight = rows.Sum(e => e.InFlight);
            var forcedNow = rows.Sum(e => e.DrainsForced);
            forcedBefore ??= forcedNow;
            var states = rows.Select(e => e.State).Distinct().ToList();
            var addresses = rows.Select(e => e.Address).ToHashSet();
            // On a cluster the drain is done when every node says so (each node drains its own requests to it).
            var nodesLeft = clusterWide && report.Nodes is { } nodes ? nodes.Count(n => !DrainedOn(n, upstream, addresses)) : 0;
            var done = rows.Count > 0 && states.All(s => s == "drained") && nodesLeft == 0;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{watch.Elapsed.TotalSeconds,5:0.0}s  {upstream} {key} {string.Join("/", states),-9} in-flight {inFlight,4}{(nodesLeft > 0 ? $"  {nodesLeft} node(s) still draining" : "")}");
            if (json) output.WriteLine(JsonSerializer.Serialize(new EndpointDrainProgress(upstream, key, states, inFlight, nodesLeft), CommandJson.Readable.EndpointDrainProgress));
            else if (live) output.Write($"\r\u001b[K{line}");
            else output.WriteLine(line);
            if (done)
            {
                if (live) output.WriteLine();
                var forced = forcedNow - forcedBefore.Value;
                output.WriteLine(forced > 0
                    ? "drained at the deadline with requests still in flight (they failed); the gateway log counts them"
                    : "drained: its requests finished, its pooled connections are closed");
                return forced > 0 ? ExitCodes.Failed : ExitCodes.Ok;
            }
            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>Brings one drained endpoint back into rotation (with its slow start): 0 once it is back, 1 when refused.</summary>
    public static async Task<int> UndrainAsync(AdminApi admin, string upstream, string? endpoint, string? scope, CommandOutput commandOutput, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
            return commandOutput.Fail(ExitCodes.Usage, "undrain --upstream needs --endpoint host:port (see `upstreams` for the endpoints)");
        var answer = await ChangeAsync(admin, "undrain", upstream, endpoint, scope, cancellationToken);
        if (answer.Status != 200) return Refused(commandOutput, "undrain", answer);
        var back = answer.Read(AdminJson.Default.EndpointChangeAnswer);
        var states = string.Join("/", back.Endpoints.Select(e => e.State).Distinct());
        commandOutput.Result(answer, $"endpoint {back.Endpoint} of upstream {upstream}: undrained, {states} ({back.Scope})");
        return ExitCodes.Ok;
    }

    /// <summary><c>POST /upstreams/NAME/drain</c> or <c>…/undrain</c> of one endpoint.</summary>
    private static Task<AdminAnswer> ChangeAsync(AdminApi admin, string verb, string upstream, string endpoint, string? scope, CancellationToken cancellationToken) =>
        admin.PostAsync($"/upstreams/{Uri.EscapeDataString(upstream)}/{verb}?endpoint={Uri.EscapeDataString(endpoint)}"
            + (scope is null ? "" : $"&scope={Uri.EscapeDataString(scope)}"), cancellationToken);

    private static int Refused(CommandOutput output, string verb, AdminAnswer answer)
    {
        var refused = answer.Read(AdminJson.Default.AdminRefusal);
        var reason = refused.Reason ?? (refused.Known is { } known ? $"known: {known}" : "");
        return output.Fail(ExitCodes.Failed, $"endpoint {verb} refused ({answer.Status}): {refused.Result} {reason}".TrimEnd());
    }

    private static string Endpoint(EndpointReport e) => e.Address != e.Endpoint ? $"{e.Endpoint} ({e.Address})" : e.Endpoint;

    private static bool Is(EndpointReport e, string key) => e.Endpoint == key || e.Address == key;

    private static bool DrainedOn(NodeUpstreams node, string upstream, HashSet<string> addresses) =>
        node.Upstreams is { } upstreams
        && upstreams.TryGetValue(upstream, out var endpoints)
        && addresses.All(a => !endpoints.TryGetValue(a, out var state) || state == "drained");
}
