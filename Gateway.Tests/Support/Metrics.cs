using System.Globalization;

namespace Gateway.Tests.Support;

/// <summary>Reads samples out of the gateway's Prometheus text (GET /metrics).</summary>
public static class Metrics
{
    /// <summary>The sum of the samples of <paramref name="name"/> whose labels contain every one of <paramref name="labels"/> (e.g. <c>error="Retried"</c>).</summary>
    public static double Sum(string metrics, string name, params string[] labels) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
            .Where(l => labels.All(label => l.Contains(label, StringComparison.Ordinal)))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    /// <summary>gateway_upstream_errors_total with this error label, over every upstream.</summary>
    public static double UpstreamErrors(string metrics, string error) => Sum(metrics, "gateway_upstream_errors_total", $"error=\"{error}\"");
}
