using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

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
        var report = await admin.GetAsync("/upstreams", cancellationToken);
        if (commandOutput.Json)
        {
            output.WriteLine(report.GetRawText());
            return ExitCodes.Ok;
        }
        output.WriteLine($"{"upstream",-12} {"endpoint",-24} {"state",-9} {"share",5} {"in-flight",9} {"requests",9} {"failures",8}  last check");
        foreach (var upstream in report.GetProperty("upstreams").EnumerateArray())
            foreach (var e in upstream.GetProperty("endpoints").EnumerateArray())
            {
                var check = e.GetProperty("lastCheck") is { ValueKind: JsonValueKind.Object } c
                    ? $"{(c.GetProperty("passed").GetBoolean() ? "passed" : "failed")} ({c.GetProperty("detail").GetString()}) at {c.GetProperty("at").GetDateTimeOffset():HH:mm:ss}"
                    : "–";
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{upstream.GetProperty("name").GetString(),-12} {Endpoint(e),-24} {e.GetProperty("state").GetString(),-9} {e.GetProperty("share").GetDouble(),5:0.00} " +
                    $"{e.GetProperty("inFlight").GetInt32(),9} {e.GetProperty("requests").GetInt64(),9} {e.GetProperty("failures").GetInt64(),8}  {check}"));
            }
        if (report.TryGetProperty("nodes", out var nodes) && nodes.ValueKind == JsonValueKind.Array)
            foreach (var node in nodes.EnumerateArray())
            {
                var states = node.GetProperty("upstreams") is { ValueKind: JsonValueKind.Object } u
                    ? string.Join(", ", u.EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Select(e => $"{p.Name} {e.Name} {e.Value.GetString()}")))
                    : "(no status yet)";
                output.WriteLine($"node {node.GetProperty("address").GetString()}{(node.GetProperty("self").GetBoolean() ? " (this one)" : "")}: {states}");
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
        var (status, body) = await ChangeAsync(admin, "drain", upstream, endpoint, scope, cancellationToken);
        if (status != 202) return Refused(commandOutput, "drain", status, body);
        var key = body.GetProperty("endpoint").GetString()!;
        var clusterWide = body.GetProperty("scope").GetString() == "cluster";
        if (!wait)
        {
            output.WriteLine(json ? body.GetRawText() : $"endpoint {key} of upstream {upstream}: {body.GetProperty("result").GetString()!.ToLowerInvariant()}");
            return ExitCodes.Ok;
        }

        var live = !json && !Console.IsOutputRedirected;
        var watch = Stopwatch.StartNew();
        var forcedBefore = (long?)null;
        while (true)
        {
            var report = await admin.GetAsync("/upstreams", cancellationToken);
            var rows = report.GetProperty("upstreams").EnumerateArray()
                .Where(u => u.GetProperty("name").GetString() == upstream)
                .SelectMany(u => u.GetProperty("endpoints").EnumerateArray())
                .Where(e => Is(e, key)).ToList();
            var inFlight = rows.Sum(e => e.GetProperty("inFlight").GetInt32());
            var forcedNow = rows.Sum(e => e.GetProperty("drainsForced").GetInt64());
            forcedBefore ??= forcedNow;
            var states = rows.Select(e => e.GetProperty("state").GetString()).Distinct().ToList();
            var addresses = rows.Select(e => e.GetProperty("address").GetString()!).ToHashSet();
            // On a cluster the drain is done when every node says so (each node drains its own requests to it).
            var nodesLeft = clusterWide && report.TryGetProperty("nodes", out var nodes) && nodes.ValueKind == JsonValueKind.Array
                ? nodes.EnumerateArray().Count(n => !DrainedOn(n, upstream, addresses))
                : 0;
            var done = rows.Count > 0 && states.All(s => s == "drained") && nodesLeft == 0;
            var line = string.Create(CultureInfo.InvariantCulture,
                $"{watch.Elapsed.TotalSeconds,5:0.0}s  {upstream} {key} {string.Join("/", states),-9} in-flight {inFlight,4}{(nodesLeft > 0 ? $"  {nodesLeft} node(s) still draining" : "")}");
            if (json) output.WriteLine(JsonSerializer.Serialize(new { upstream, endpoint = key, states, inFlight, nodesLeft }));
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
        var (status, body) = await ChangeAsync(admin, "undrain", upstream, endpoint, scope, cancellationToken);
        if (status != 200) return Refused(commandOutput, "undrain", status, body);
        var states = string.Join("/", body.GetProperty("endpoints").EnumerateArray().Select(e => e.GetProperty("state").GetString()).Distinct());
        commandOutput.Out.WriteLine(commandOutput.Json ? body.GetRawText()
            : $"endpoint {body.GetProperty("endpoint").GetString()} of upstream {upstream}: undrained, {states} ({body.GetProperty("scope").GetString()})");
        return ExitCodes.Ok;
    }

    /// <summary><c>POST /upstreams/NAME/drain</c> or <c>…/undrain</c> of one endpoint.</summary>
    private static Task<(int Status, JsonElement Body)> ChangeAsync(AdminApi admin, string verb, string upstream, string endpoint, string? scope, CancellationToken cancellationToken) =>
        admin.PostAsync($"/upstreams/{Uri.EscapeDataString(upstream)}/{verb}?endpoint={Uri.EscapeDataString(endpoint)}"
            + (scope is null ? "" : $"&scope={Uri.EscapeDataString(scope)}"), cancellationToken);

    private static int Refused(CommandOutput output, string verb, int status, JsonElement body)
    {
        var reason = body.TryGetProperty("reason", out var r) ? r.GetString()
            : body.TryGetProperty("known", out var known) ? $"known: {known}" : "";
        return output.Fail(ExitCodes.Failed, $"endpoint {verb} refused ({status}): {body.GetProperty("result").GetString()} {reason}".TrimEnd());
    }

    private static string Endpoint(JsonElement e) =>
        e.GetProperty("endpoint").GetString() is var name && e.GetProperty("address").GetString() is var address && address != name ? $"{name} ({address})" : name!;

    private static bool Is(JsonElement e, string key) =>
        e.GetProperty("endpoint").GetString() == key || e.GetProperty("address").GetString() == key;

    private static bool DrainedOn(JsonElement node, string upstream, HashSet<string> addresses) =>
        node.GetProperty("upstreams") is { ValueKind: JsonValueKind.Object } upstreams
        && upstreams.TryGetProperty(upstream, out var endpoints)
        && addresses.All(a => !endpoints.TryGetProperty(a, out var state) || state.GetString() == "drained");
}
