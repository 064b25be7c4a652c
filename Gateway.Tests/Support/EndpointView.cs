using System.Text.Json;

namespace Gateway.Tests.Support;

/// <summary>One endpoint as a gateway's <c>GET /upstreams</c> reports it.</summary>
public sealed record EndpointView(string Upstream, string Endpoint, string Address, string State, double Share, int InFlight, long Requests,
    long Failures, string? DrainedBy, bool? LastCheckPassed)
{
    /// <summary>Every endpoint of every upstream of the gateway whose admin API is <paramref name="admin"/>, by address.</summary>
    public static async Task<Dictionary<string, EndpointView>> OfAsync(HttpClient client, Uri admin)
    {
        var json = JsonDocument.Parse(await client.GetStringAsync(new Uri(admin, "/upstreams"))).RootElement;
        return json.GetProperty("upstreams").EnumerateArray()
            .SelectMany(u => u.GetProperty("endpoints").EnumerateArray().Select(e => new EndpointView(
                u.GetProperty("name").GetString()!,
                e.GetProperty("endpoint").GetString()!,
                e.GetProperty("address").GetString()!,
                e.GetProperty("state").GetString()!,
                e.GetProperty("share").GetDouble(),
                e.GetProperty("inFlight").GetInt32(),
                e.GetProperty("requests").GetInt64(),
                e.GetProperty("failures").GetInt64(),
                e.GetProperty("drainedBy").GetString(),
                e.GetProperty("lastCheck") is { ValueKind: JsonValueKind.Object } c ? c.GetProperty("passed").GetBoolean() : null)))
            .ToDictionary(e => e.Address);
    }
}
