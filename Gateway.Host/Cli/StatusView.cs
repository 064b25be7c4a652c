using System.Globalization;
using System.Text.Json;
using Gateway.Host.Admin;

namespace Gateway.Host.Cli;

/// <summary>
/// What <c>status</c> shows: GET /drain (generation, readiness, each listener's connections and requests answered)
/// and each listener's request rate over the last ten seconds of GET /history.
/// </summary>
internal sealed class StatusView
{
    /// <summary>The rate is the average over this many seconds of samples.</summary>
    public const int RateSeconds = 10;

    private readonly DrainReport _report;
    private readonly IReadOnlyDictionary<string, double> _rates;

    private StatusView(DrainReport report, IReadOnlyDictionary<string, double> rates)
    {
        _report = report;
        _rates = rates;
    }

    public static async Task<StatusView> ReadAsync(AdminApi admin, CancellationToken cancellationToken)
    {
        var report = await admin.GetAsync("/drain", AdminJson.Default.DrainReport, cancellationToken);
        var samples = await SamplesAsync(admin, cancellationToken);
        var rates = new Dictionary<string, double>();
        if (samples.Count >= 2)
        {
            var (first, last) = (samples[0], samples[^1]);
            var seconds = (last.T - first.T) / 1000.0;
            foreach (var now in last.Listeners)
            {
                var then = first.Listeners.Where(l => l.Name == now.Name).ToList();
                if (then.Count == 1 && seconds > 0)
                    rates[now.Name] = Math.Max(0, now.Requests - then[0].Requests) / seconds;
            }
        }
        return new StatusView(report, rates);
    }

    /// <summary>The newest samples; none from a gateway that keeps no history (a generation older than GET /history).</summary>
    private static async Task<IReadOnlyList<Sample>> SamplesAsync(AdminApi admin, CancellationToken cancellationToken)
    {
        try
        {
            return (await admin.GetAsync($"/history?last={RateSeconds + 1}", AdminJson.Default.HistoryReport, cancellationToken)).Samples;
        }
        catch (AdminApiException)
        {
            return [];
        }
    }

    /// <summary>GET /drain, each listener with its <c>requestsPerSecond</c> (null until two samples exist).</summary>
    public string Json()
    {
        var report = JsonSerializer.SerializeToNode(_report, AdminJson.Default.DrainReport)!;
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
            $"{(at is { } t ? t.ToString("HH:mm:ss  ", CultureInfo.InvariantCulture) : "")}generation {r.Generation}  pid {r.Pid}  " +
            $"{(r.Ready ? "ready" : "not-ready")}  {r.State} ({r.Phase})",
            $"{"listener",-12} {"address",-22} {"accepting",-9} {"open",5} {"active",6} {"in-flight",9} {"streams",7} {"forced",6} {"requests",10} {"req/s",8}",
        };
        foreach (var l in r.Listeners)
        {
            var rate = _rates.TryGetValue(l.Name, out var perSecond) ? perSecond.ToString("0.0", CultureInfo.InvariantCulture) : "-";
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{l.Name,-12} {l.Address,-22} " +
                $"{(l.Accepting ? "yes" : "no"),-9} {l.Open,5} {l.Active,6} {l.InFlight,9} {l.Streams,7} {l.Forced,6} {l.Requests,10} {rate,8}"));
        }
        return lines;
    }
}
