using System.Collections.Concurrent;
using System.Net;

namespace Gateway.Tests.Support;

/// <summary>
/// Keep-alive client loops (one connection pool each) sending GET /hello back to back until stopped, bounded in
/// count and time. Records every failure and the generations (Gateway-Generation header) that answered.
/// </summary>
public sealed class LoadLoops(IPEndPoint endpoint, int loops, int maxRequestsPerLoop)
{
    private int _succeeded;

    public int Succeeded => _succeeded;
    public ConcurrentQueue<string> Failures { get; } = new();
    public ConcurrentDictionary<int, int> GenerationCounts { get; } = new();
    public ICollection<int> Generations => GenerationCounts.Keys.Order().ToList();

    public string Summary =>
        $"{Succeeded} ok, {Failures.Count} failed; by generation: {string.Join(", ", GenerationCounts.OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Value}"))}"
        + (Failures.IsEmpty ? "" : "\n" + string.Join("\n", Failures.Take(10)));

    public Task RunAsync(CancellationToken stop) =>
        Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(() => LoopAsync(stop), CancellationToken.None)));

    private async Task LoopAsync(CancellationToken stop)
    {
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        for (var i = 0; i < maxRequestsPerLoop && !stop.IsCancellationRequested; i++)
        {
            try
            {
                using var response = await client.GetAsync($"http://{endpoint}/hello", CancellationToken.None);
                var body = await response.Content.ReadAsStringAsync(CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Failures.Enqueue($"{(int)response.StatusCode}: {body}");
                    continue;
                }
                Interlocked.Increment(ref _succeeded);
                var generation = int.Parse(response.Headers.GetValues("Gateway-Generation").Single());
                GenerationCounts.AddOrUpdate(generation, 1, (_, n) => n + 1);
            }
            catch (Exception e)
            {
                Failures.Enqueue($"{e.GetType().Name}: {e.GetBaseException().Message}");
            }
        }
    }
}
