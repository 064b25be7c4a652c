using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Configuration;

/// <summary>
/// Thousands of seeded mutations of the shipped configuration files (the embedded default, the reference, the README's
/// and the Kubernetes example, and one with includes, substitutions and akka keys) through <c>check</c>, in process:
/// each ends with exit 0 or 2 after less than a second of work, with no exception's text, and never hangs or takes the
/// process down.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed partial class ConfigFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const int Cases = 5_000;

    /// <summary>
    /// The work of one case, as processor time of this process (what a loaded machine cannot stretch): a reader that
    /// spins would pass it. A case that waits without working is caught by <see cref="WaitLimit"/> on the clock.
    /// </summary>
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(5);

    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-config-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string Repo([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>A file of our own that uses what the shipped ones do not: an include, substitutions, akka keys, concatenation.</summary>
    private const string Everything = """
        gateway {
          include "fuzz-routes.conf"
          listeners.public { address = "127.0.0.1:0", limits { max-body-bytes = 1MiB } }
          admin { address = "127.0.0.1:0", token = ${?GATEWAY_FUZZ_TOKEN} }
          upstreams.api { endpoints = ["127.0.0.1:9001", "http://127.0.0.1:9002"], response-timeout = 5s }
          drain { announce = 0s, deadline = ${gateway.upstreams.api.response-timeout} }
          log.format = "te"xt
        }
        akka { loglevel = INFO, actor.debug.receive = off }
        """;

    private const string IncludedRoutes = """"
        routes.api { listener = public, path-prefix = "/api", upstream = api }
        routes.home { listener = public, direct-response { status = 200, body = """hi""" } }
        """";

    private static List<(string Name, byte[] Bytes)> Seeds()
    {
        var repo = Repo();
        var readme = File.ReadAllText(Path.Combine(repo, "README.md"));
        var manifest = File.ReadAllLines(Path.Combine(repo, "deploy", "kubernetes", "gateway.yaml"));
        var start = Array.FindIndex(manifest, l => l.Contains("gateway.conf: |"));
        var kubernetes = string.Join('\n', manifest.Skip(start + 1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal) || l.Length == 0));
        var seeds = new List<(string, string)>
        {
            ("hocon/gateway.conf", File.ReadAllText(Path.Combine(repo, "hocon", "gateway.conf"))),
            ("hocon/reference.conf", File.ReadAllText(Path.Combine(repo, "hocon", "reference.conf"))),
            ("deploy/kubernetes/gateway.yaml", kubernetes),
            ("includes and substitutions", Everything),
        };
        seeds.AddRange(HoconBlock().Matches(readme).Select((m, i) => ($"README.md hocon block {i + 1}", m.Groups[1].Value)));
        return seeds.Select(s => (s.Item1, Encoding.UTF8.GetBytes(s.Item2))).ToList();
    }

    [GeneratedRegex("```hocon\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex HoconBlock();

    [Fact]
    public void Five_thousand_mutated_files_each_end_in_exit_0_or_2_within_a_second_of_work()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("GATEWAY_FUZZ_SEED"), out var s) ? s : Environment.TickCount;
        output.WriteLine($"seed {seed} (GATEWAY_FUZZ_SEED={seed} repeats this run)");
        Console.Error.WriteLine($"{nameof(ConfigFuzzTests)}: seed {seed}");  // seen even if the process were taken down
        File.WriteAllText(Path.Combine(_folder, "fuzz-routes.conf"), IncludedRoutes);
        var path = Path.Combine(_folder, "fuzz.conf");
        var seeds = Seeds();
        var mutator = new ConfigMutator(seed);
        var random = new Random(seed);
        var exits = new Dictionary<int, int>();
        var slowest = TimeSpan.Zero;
        var slowestCase = "";

        // The seeds as they are, first: the first check of a kind loads and compiles code, an actor system's first start
        // among it, which is no case's own time.
        foreach (var (name, original) in seeds)
        {
            File.WriteAllBytes(path, original);
            var (code, said, problems) = CheckCommand.Run(path);
            output.WriteLine($"{name}: exit {code} {(said + problems).Split('\n')[0]}");
        }

        var clock = Stopwatch.StartNew();

        for (var i = 0; i < Cases; i++)
        {
            var (name, original) = seeds[random.Next(seeds.Count)];
            var (bytes, mutations) = mutator.Next(original);
            File.WriteAllBytes(path, bytes);
            var processor = Environment.CpuUsage.TotalTime;
            var took = Stopwatch.StartNew();
            var (code, stdout, stderr) = CheckCommand.Run(path);
            took.Stop();
            var worked = Environment.CpuUsage.TotalTime - processor;

            string Case() => $"seed {seed}, case {i}: {name} with {mutations}exit {code} in {took.Elapsed.TotalMilliseconds:0} ms " +
                $"({worked.TotalMilliseconds:0} ms of processor time)\n{stderr}\n--- file ---\n{Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 3000)])}";
            Assert.True(code is 0 or 2, Case());
            Assert.True(worked < CaseLimit && took.Elapsed < WaitLimit, Case());
            var said = stdout + stderr;
            Assert.False(said.Contains("Exception", StringComparison.Ordinal) || said.Contains("   at ", StringComparison.Ordinal), Case());
            Assert.DoesNotContain("did not finish within", said);
            if (code == 2) Assert.Contains("gateway: configuration error: ", stderr);
            exits[code] = exits.GetValueOrDefault(code) + 1;
            if (worked > slowest) (slowest, slowestCase) = (worked, $"case {i}, {name} with {mutations}exit {code}");
        }

        output.WriteLine($"{Cases} cases in {clock.Elapsed.TotalSeconds:0.0}s from {seeds.Count} seeds; exit 0: {exits.GetValueOrDefault(0)}, " +
            $"exit 2: {exits.GetValueOrDefault(2)}; most processor time for one case {slowest.TotalMilliseconds:0} ms ({slowestCase})");
        // Both outcomes occur: mutations that leave a valid file pass, the rest are refused.
        Assert.True(exits.GetValueOrDefault(0) > 0 && exits.GetValueOrDefault(2) > 0);
    }
}
