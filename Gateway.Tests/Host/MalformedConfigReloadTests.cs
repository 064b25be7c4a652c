using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.Tests.Configuration;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Host;

/// <summary>
/// Every file of <see cref="MalformedConfigs"/> sent to one running gateway process, by SIGHUP and by
/// <c>POST /reload</c>: each is refused within 5 s naming its file, line and key; requests are served all along; the
/// configuration in force stays; and the process's memory ends where it began (within 32 MiB).
/// </summary>
public sealed class MalformedConfigReloadTests(ITestOutputHelper output) : IDisposable
{
    private const int SigHup = 1;
    private const long RssGrowthLimit = 32L * 1024 * 1024;
    private static readonly TimeSpan RefusalLimit = TimeSpan.FromSeconds(5);

    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-reload-malformed-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly string[] WarmUp =
    [
        "unclosed list", "an unterminated string at the end", "bytes that are not UTF-8", "a file larger than 1 MiB",
        "a self-referencing substitution", "an error in an included file", "a bare number for a timeout",
        "an akka key with a typo", "a dispatcher Akka cannot load", "a wildcard beside a specific address",
        "an access log in a missing folder", "the same prefix twice", "an endpoint with a path",
        "substitutions that double each other", "a dispatcher of a hundred thousand threads",
    ];

    private const string Valid = """
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          routes.hello { listener = public, direct-response { status = 200, body = "hello" } }
        }
        """;

    [Fact]
    public async Task Every_malformed_file_is_refused_by_SIGHUP_and_POST_reload_while_the_gateway_serves_on_in_bounded_memory()
    {
        var config = Path.Combine(_folder, "gateway.conf");
        await File.WriteAllTextAsync(config, Valid);
        await using var gateway = GatewayProcess.StartWithConfigFile(config);
        var addresses = await gateway.WaitUntilReadyAsync();
        using var admin = new HttpClient { BaseAddress = new Uri($"http://{addresses["admin"]}"), Timeout = TimeSpan.FromSeconds(10) };
        var inForce = await admin.GetStringAsync("/config");

        using var traffic = new CancellationTokenSource();
        var served = 0;
        var failures = new List<string>();
        var requests = Task.Run(async () =>
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            while (!traffic.IsCancellationRequested)
            {
                try
                {
                    var answer = await client.GetStringAsync($"http://{addresses["public"]}/");
                    if (answer == "hello") Interlocked.Increment(ref served);
                    else lock (failures) failures.Add($"answered \"{answer}\"");
                }
                catch (HttpRequestException e)
                {
                    lock (failures) failures.Add(e.Message);
                }
                await Task.Delay(10, CancellationToken.None);
            }
        });

        // The baseline is taken once one file of each kind has been refused: the first of a kind compiles its code and
        // loads what stays loaded (Akka's reference keys, an actor system's types), which is no growth per file.
        foreach (var kind in WarmUp) await RefuseAsync(gateway, admin, MalformedConfigs.Named(kind));
        var before = await SettledRssAsync(gateway.Pid);
        var slowest = TimeSpan.Zero;
        foreach (var bad in MalformedConfigs.All)
        {
            var took = await RefuseAsync(gateway, admin, bad);
            slowest = took > slowest ? took : slowest;
        }
        var after = await SettledRssAsync(gateway.Pid);
        await traffic.CancelAsync();
        await requests;

        output.WriteLine($"{MalformedConfigs.All.Count} files refused twice each; slowest refusal {slowest.TotalMilliseconds:0} ms; " +
            $"RSS {before / 1024 / 1024} MiB before, {after / 1024 / 1024} MiB after; {served} requests served meanwhile");
        Assert.Empty(failures);
        Assert.True(served >= MalformedConfigs.All.Count, $"only {served} requests were served");
        Assert.True(after - before <= RssGrowthLimit, $"RSS grew by {(after - before) / 1024 / 1024} MiB");
        Assert.Equal(inForce, await admin.GetStringAsync("/config"));
        Assert.DoesNotContain(gateway.Output, l => l.Contains("Reloaded ", StringComparison.Ordinal));
        Assert.False(gateway.Exited.IsCompleted, gateway.OutputText);
    }

    /// <summary>Sends one file by SIGHUP, then by POST /reload; returns the longer of the two refusals.</summary>
    private async Task<TimeSpan> RefuseAsync(GatewayProcess gateway, HttpClient admin, MalformedConfig bad)
    {
        var config = bad.WriteTo(_folder);

        var rejectedBefore = Rejections(gateway);
        var signalled = Stopwatch.StartNew();
        gateway.Signal(SigHup);
        await Wait.UntilAsync(() => Rejections(gateway) > rejectedBefore, limit: RefusalLimit);
        var bySignal = signalled.Elapsed;
        var logged = gateway.Output.Last(l => l.Contains("Reload rejected", StringComparison.Ordinal));
        MalformedConfigs.AssertNamed(bad, config, [logged]);
        var rejectedBySignal = Rejections(gateway);

        var posted = Stopwatch.StartNew();
        using var answer = await admin.PostAsync("/reload", null).WaitAsync(RefusalLimit);
        var byPost = posted.Elapsed;
        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.StatusCode);
        var problems = JsonDocument.Parse(await answer.Content.ReadAsStringAsync()).RootElement.GetProperty("problems")
            .EnumerateArray().Select(p => p.GetString()!).ToList();
        MalformedConfigs.AssertNamed(bad, config, problems);
        // The POST's refusal is logged too: its line must be in before the next file's SIGHUP counts lines.
        await Wait.UntilAsync(() => Rejections(gateway) > rejectedBySignal, limit: RefusalLimit);
        return bySignal > byPost ? bySignal : byPost;
    }

    private static int Rejections(GatewayProcess gateway) => gateway.Output.Count(l => l.Contains("Reload rejected", StringComparison.Ordinal));

    /// <summary>
    /// The resident set of process <paramref name="pid"/>, in bytes: the least of samples over two seconds, since the
    /// garbage collector's young generation alone makes it swing by tens of MiB while requests are served.
    /// </summary>
    private static async Task<long> SettledRssAsync(int pid)
    {
        var least = long.MaxValue;
        for (var sample = 0; sample < 10; sample++)
        {
            var line = (await File.ReadAllLinesAsync($"/proc/{pid}/status")).Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            least = Math.Min(least, 1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]));
            await Task.Delay(200);
        }
        return least;
    }
}
