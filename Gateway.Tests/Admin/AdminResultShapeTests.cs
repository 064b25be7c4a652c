using System.Text.Json;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Admin;

/// <summary>
/// The JSON of every admin answer, key by key (a path and the kind of its value): what scripts and the operator
/// commands read is a contract, kept when the code that writes it changes.
/// </summary>
public sealed class AdminResultShapeTests(ITestOutputHelper output) : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task Every_admin_answer_keeps_its_keys_and_their_kinds()
    {
        await using var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{_upstream.Endpoint}}"] }
              routes.app { listener = public, upstream = app }
              drain { announce = 0s, deadline = 20s }
            }
            """);
        using var admin = new HttpClient { BaseAddress = gateway.Admin, Timeout = TimeSpan.FromSeconds(20) };
        var endpoint = _upstream.Endpoint.Replace("http://", "").TrimEnd('/');
        await Wait.UntilAsync(async () => (await Read(admin, HttpMethod.Get, "/history?last=2")).Root.GetProperty("samples").GetArrayLength() > 0);

        var answers = new List<string>();
        foreach (var (method, path) in new[]
                 {
                     (HttpMethod.Get, "/drain"), (HttpMethod.Get, "/history?last=2"), (HttpMethod.Get, "/config"), (HttpMethod.Get, "/upstreams"),
                     (HttpMethod.Get, "/tree"), (HttpMethod.Get, "/cluster"),
                     (HttpMethod.Post, "/drain?listener=nope"), (HttpMethod.Post, "/drain?leave=true"), (HttpMethod.Post, "/undrain"),
                     (HttpMethod.Post, "/cluster/leave?node=x"), (HttpMethod.Post, "/cluster/down?node=x"),
                     (HttpMethod.Post, "/upstreams/nope/drain?endpoint=x"), (HttpMethod.Post, "/upstreams/app/drain"),
                     (HttpMethod.Post, "/upstreams/app/drain?endpoint=x&scope=everywhere"), (HttpMethod.Post, "/upstreams/app/drain?endpoint=10.9.9.9:1"),
                     (HttpMethod.Post, $"/upstreams/app/drain?endpoint={endpoint}"), (HttpMethod.Post, $"/upstreams/app/undrain?endpoint={endpoint}"),
                     (HttpMethod.Post, "/drain"),
                 })
        {
            var (status, root) = await Read(admin, method, path);
            answers.Add($"{method} {path.Replace(endpoint, "EP")} {status}: {string.Join(" ", Shape(root).Distinct())}");
        }
        foreach (var answer in answers) output.WriteLine(answer);

        Assert.Equal(Expected.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries), answers);
    }

    private const string Expected = """
        GET /drain 200: .state=string .generation=number .pid=number .phase=string .ready=bool .reason=null .startedAt=null .deadline=null .secondsToDeadline=null .outcome=null .listeners[] .listeners[].name=string .listeners[].address=string .listeners[].generation=number .listeners[].accepting=bool .listeners[].open=number .listeners[].idle=number .listeners[].active=number .listeners[].inFlight=number .listeners[].streams=number .listeners[].accepted=number .listeners[].forced=number .listeners[].protocol=string .listeners[].state=string .listeners[].requests=number
        GET /history?last=2 200: .intervalSeconds=number .capacity=number .now=number .samples[] .samples[].t=number .samples[].phase=string .samples[].listeners[] .samples[].listeners[].name=string .samples[].listeners[].open=number .samples[].listeners[].inFlight=number .samples[].listeners[].requests=number .samples[].open=number .samples[].inFlight=number .samples[].requests=number .phases[] .drain=null
        GET /config 200: .generation=number .listenersBound.public=string .source=string .config={gateway} .tls={}
        GET /upstreams 200: .node=null .upstreams[] .upstreams[].name=string .upstreams[].healthCheck=null .upstreams[].slowStartSeconds=number .upstreams[].retries=number .upstreams[].retryBudgetAvailable=number .upstreams[].endpoints[] .upstreams[].endpoints[].endpoint=string .upstreams[].endpoints[].address=string .upstreams[].endpoints[].state=string .upstreams[].endpoints[].share=number .upstreams[].endpoints[].inFlight=number .upstreams[].endpoints[].requests=number .upstreams[].endpoints[].failures=number .upstreams[].endpoints[].drainedBy=null .upstreams[].endpoints[].lastCheck=null .upstreams[].endpoints[].checksPassed=number .upstreams[].endpoints[].checksFailed=number .upstreams[].endpoints[].drainsForced=number
        GET /tree 200: .name=string .kind=string .inFlight=number .children[] .children[].name=string .children[].kind=string .children[].inFlight=number .children[].children[]
        GET /cluster 404: .clustered=bool
        POST /drain?listener=nope 404: .result=string .listener=string .report.state=string .report.generation=number .report.pid=number .report.phase=string .report.ready=bool .report.reason=null .report.startedAt=null .report.deadline=null .report.secondsToDeadline=null .report.outcome=null .report.listeners[] .report.listeners[].name=string .report.listeners[].address=string .report.listeners[].generation=number .report.listeners[].accepting=bool .report.listeners[].open=number .report.listeners[].idle=number .report.listeners[].active=number .report.listeners[].inFlight=number .report.listeners[].streams=number .report.listeners[].accepted=number .report.listeners[].forced=number .report.listeners[].protocol=string .report.listeners[].state=string .report.listeners[].requests=number
        POST /drain?leave=true 409: .result=string .reason=string
        POST /undrain 409: .result=string .reason=null .listener=null .report.state=string .report.generation=number .report.pid=number .report.phase=string .report.ready=bool .report.reason=null .report.startedAt=null .report.deadline=null .report.secondsToDeadline=null .report.outcome=null .report.listeners[] .report.listeners[].name=string .report.listeners[].address=string .report.listeners[].generation=number .report.listeners[].accepting=bool .report.listeners[].open=number .report.listeners[].idle=number .report.listeners[].active=number .report.listeners[].inFlight=number .report.listeners[].streams=number .report.listeners[].accepted=number .report.listeners[].forced=number .report.listeners[].protocol=string .report.listeners[].state=string .report.listeners[].requests=number
        POST /cluster/leave?node=x 409: .result=string
        POST /cluster/down?node=x 409: .result=string
        POST /upstreams/nope/drain?endpoint=x 404: .result=string .upstream=string .known[] .known[]=string
        POST /upstreams/app/drain 400: .result=string .reason=string
        POST /upstreams/app/drain?endpoint=x&scope=everywhere 400: .result=string .reason=string
        POST /upstreams/app/drain?endpoint=10.9.9.9:1 404: .result=string .upstream=string .endpoint=string .known=string
        POST /upstreams/app/drain?endpoint=EP 202: .result=string .upstream=string .endpoint=string .scope=string .endpoints[] .endpoints[].endpoint=string .endpoints[].address=string .endpoints[].state=string .endpoints[].share=number .endpoints[].inFlight=number .endpoints[].requests=number .endpoints[].failures=number .endpoints[].drainedBy=string .endpoints[].lastCheck=null .endpoints[].checksPassed=number .endpoints[].checksFailed=number .endpoints[].drainsForced=number
        POST /upstreams/app/undrain?endpoint=EP 200: .result=string .upstream=string .endpoint=string .scope=string .endpoints[] .endpoints[].endpoint=string .endpoints[].address=string .endpoints[].state=string .endpoints[].share=number .endpoints[].inFlight=number .endpoints[].requests=number .endpoints[].failures=number .endpoints[].drainedBy=null .endpoints[].lastCheck=null .endpoints[].checksPassed=number .endpoints[].checksFailed=number .endpoints[].drainsForced=number
        POST /drain 202: .result=string .listener=null .report.state=string .report.generation=number .report.pid=number .report.phase=string .report.ready=bool .report.reason=string .report.startedAt=string .report.deadline=string .report.secondsToDeadline=number .report.outcome=null .report.listeners[] .report.listeners[].name=string .report.listeners[].address=string .report.listeners[].generation=number .report.listeners[].accepting=bool .report.listeners[].open=number .report.listeners[].idle=number .report.listeners[].active=number .report.listeners[].inFlight=number .report.listeners[].streams=number .report.listeners[].accepted=number .report.listeners[].forced=number .report.listeners[].protocol=string .report.listeners[].state=string .report.listeners[].requests=number
        """;

    private static async Task<(int Status, JsonElement Root)> Read(HttpClient admin, HttpMethod method, string path)
    {
        using var response = await admin.SendAsync(new HttpRequestMessage(method, path));
        return ((int)response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>
    /// Each key's path and the kind of its value, in order; a list's items share <c>[]</c>. The configuration inside
    /// GET /config is the effective config's (EffectiveConfigTests) and true or false are one kind (accepting flips
    /// as a drain goes on).
    /// </summary>
    private static IEnumerable<string> Shape(JsonElement value, string path = "")
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when path == ".config":
                yield return ".config={gateway}";
                break;
            case JsonValueKind.Object when !value.EnumerateObject().Any():
                yield return $"{path}={{}}";
                break;
            case JsonValueKind.True or JsonValueKind.False:
                yield return $"{path}=bool";
                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                    foreach (var key in Shape(property.Value, $"{path}.{property.Name}")) yield return key;
                break;
            case JsonValueKind.Array:
                yield return $"{path}[]";
                foreach (var item in value.EnumerateArray())
                    foreach (var key in Shape(item, $"{path}[]")) yield return key;
                break;
            default:
                yield return $"{path}={value.ValueKind.ToString().ToLowerInvariant()}";
                break;
        }
    }
}
