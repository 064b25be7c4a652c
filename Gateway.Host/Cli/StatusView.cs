using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gateway.Host.Cli;

/// <summary>
/// What <c>status</c> shows: GET /drain (generation, readiness, each listener's connections and requests answered)
/// and each listener's request rate over the last ten seconds of GET /history.
/// </summary>
internal sealed class StatusView
{
    /// <summary>The rate is the average over this many seconds of samples.</summary>
    public const int RateSeconds = 10;

    private readonly JsonElement _report;
    private readonly IReadOnlyDictionary<string, double> _rates;

    private StatusView(JsonElement report, IReadOnlyDictionary<string, double> rates)
    {
        _report = report;
        _rates = rates;
    }

    public static async Task<StatusView> ReadAsync(AdminApi admin, CancellationToken cancellationToken)
    {
        var report = await admin.GetAsync("/drain", cancellationToken);
        var samples = await SamplesAsync(admin, cancellationToken);
        var rates = new Dictionary<string, double>();
        if (samples.Count >= 2)
        {
            var (first, last) = (samples[0], samples[^1]);
            var seconds = (last.GetProperty("t").GetInt64() - first.GetProperty("t").GetInt64()) / 1000.0;
            foreach (var now in last.GetProperty("listeners").EnumerateArray())
            {
                var name = now.GetProperty("name").GetString()!;
                var then = first.GetProperty("listeners").EnumerateArray().Where(l => l.GetProperty("name").GetString() == name).ToList();
                if (then.Count == 1 && seconds > 0)
                    rates[name] = Math.Max(0, now.GetProperty("requests").GetInt64() - then[0].GetProperty("requests").GetInt64()) / seconds;
            }
        }
        return new StatusView(report, rates);
    }

    /// <summary>The newest samples; none from a gateway that keeps no history (a generation older than GET /history).</summary>
    private static async Task<List<JsonElement>> SamplesAsync(AdminApi admin, CancellationToken cancellationToken)
    {
        try
        {
            return (await admin.GetAsync($"/history?last={RateSeconds + 1}", cancellationToken)).GetProperty("samples").EnumerateArray().ToList();
        }
        catch (AdminApiException)
        {
            return [];
        }
    }

    /// <summary>GET /drain as it came, each listener with its <c>requestsPerSecond</c> (null until two samples exist).</summary>
    public string Json()
    {
        var report = JsonNode.Parse(_report.GetRawText())!;
        foreach (var listener in report["listeners"]!.AsArray())
            listener!["requestsPerSecond"] = _rates.TryGetValue(listener["name"]!.GetValue<string>(), out var rate) ? Math.Round(rate, 2) : null;
        return report.ToJsonString();
    }

    /// <summary>The plain block: a head line (with the time <paramref name="at"/> when watching), a table of listeners.</summary>
    public IReadOnlyList<string> Lines(DateTime? at)
    {
        var r = _report;
        var lines = new List<string>
        {
            $"{(at is { } t ? t.ToString("HH:mm:ss  ", CultureInfo.InvariantCulture) : "")}generation {r.GetProperty("generation")}  pid {r.GetProperty("pid")}  " +
            $"{(r.GetProperty("ready").GetBoolean() ? "ready" : "not-ready")}  {r.GetProperty("state").GetString()} ({r.GetProperty("phase").GetString()})",
            $"{"listener",-12} {"address",-22} {"accepting",-9} {"open",5} {"active",6} {"in-flight",9} {"streams",7} {"forced",6} {"requests",10} {"req/s",8}",
        };
        foreach (var l in r.GetProperty("listeners").EnumerateArray())
        {
            var name = l.GetProperty("name").GetString()!;
            var rate = _rates.TryGetValue(name, out var perSecond) ? perSecond.ToString("0.0", CultureInfo.InvariantCulture) : "-";
            lines.Add($"{name,-12} {l.GetProperty("address").GetString(),-22} " +
                $"{(l.GetProperty("accepting").GetBoolean() ? "yes" : "no"),-9} {l.GetProperty("open").GetInt64(),5} {l.GetProperty("active").GetInt64(),6} " +
                $"{l.GetProperty("inFlight").GetInt64(),9} {l.GetProperty("streams").GetInt64(),7} {l.GetProperty("forced").GetInt64(),6} " +
                $"{(l.TryGetProperty("requests", out var requests) ? requests.GetInt64().ToString(CultureInfo.InvariantCulture) : "-"),10} {rate,8}");
        }
        return lines;
    }
}
