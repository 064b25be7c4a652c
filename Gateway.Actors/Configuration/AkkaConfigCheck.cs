using System.Reflection;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Gateway.Configuration;

/// <summary>
/// The <c>akka { … }</c> part of the user's file, checked before anything binds: every key must be one Akka knows
/// (from the reference configurations Akka's own assemblies carry; a typo gets the nearest known key), and the values
/// the gateway depends on — log levels, the actor provider, remoting, seed nodes, the shutdown hook — must be ones it
/// runs with. <see cref="AkkaStartProbe"/> then starts an actor system on the result, binding nothing.
/// </summary>
internal static class AkkaConfigCheck
{
    /// <summary>Objects whose keys are names the user chooses (actor paths, serializer names, type names, roles).</summary>
    private static readonly HashSet<string> OpenMaps = new(StringComparer.Ordinal)
    {
        "akka.actor.deployment", "akka.actor.serializers", "akka.actor.serialization-bindings",
        "akka.actor.serialization-identifiers", "akka.actor.serialization-settings", "akka.actor.mailbox.requirements",
        "akka.actor.router.type-mapping", "akka.cluster.role", "akka.remote.adapters",
    };

    private static readonly string[] LogLevels = ["DEBUG", "INFO", "WARNING", "ERROR", "OFF"];

    /// <summary>The keys that make an object a dispatcher or mailbox of the user's own, which may stand anywhere.</summary>
    private static readonly string[] OwnDefinition = ["type", "executor", "mailbox-type"];

    /// <summary>The assemblies whose reference configurations make up what Akka knows (those the gateway loads).</summary>
    private static readonly Assembly[] AkkaAssemblies =
    [
        typeof(Akka.Actor.ActorSystem).Assembly, typeof(Akka.Remote.RemoteSettings).Assembly, typeof(Akka.Cluster.Cluster).Assembly,
        typeof(Akka.Cluster.Tools.Singleton.ClusterSingletonManager).Assembly, typeof(Akka.DistributedData.DistributedData).Assembly,
        typeof(Akka.Streams.ActorMaterializer).Assembly,
    ];

    private static readonly Lazy<Config> Known = new(() =>
    {
        var known = GatewayConfigLoader.Reference;
        foreach (var assembly in AkkaAssemblies)
            foreach (var name in assembly.GetManifestResourceNames().Where(n => n.EndsWith(".conf", StringComparison.Ordinal)))
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
                known = known.WithFallback(ConfigurationFactory.ParseString(reader.ReadToEnd()));
            }
        return known;
    });

    /// <summary>Every problem of the user's <c>akka</c> keys, each with the key to name.</summary>
    /// <param name="user">The user's files alone (no defaults): only what they wrote is judged.</param>
    /// <param name="merged">The user's files over the defaults: what Akka will run with.</param>
    public static List<(string Key, string Problem)> Problems(Config user, Config merged, bool clustered)
    {
        var problems = new List<(string Key, string Problem)>();
        if (user.GetValue("akka") is { } akka)
        {
            if (akka.GetObject() is { } items) CheckKeys("akka", items, problems);
            else problems.Add(("akka", "must be an object: akka { … }"));
        }
        if (problems.Count > 0) return problems;
        CheckValues(user, merged, clustered, problems);
        return problems;
    }

    private static void CheckKeys(string path, HoconObject written, List<(string, string)> problems)
    {
        foreach (var (name, value) in written.Items)
        {
            var key = Hocon.KeyPath.Join(path, name);
            var known = Known.Value.GetValue(key);
            if (known is null)
            {
                // A dispatcher or mailbox of the user's own is an object with a `type`, an `executor` or a `mailbox-type`.
                if (value.GetObject() is { } own && OwnDefinition.Any(own.Items.ContainsKey)) continue;
                var siblings = Known.Value.GetValue(path)?.GetObject()?.Items.Keys ?? Enumerable.Empty<string>();
                problems.Add((key, ConfigSchema.Nearest(name, siblings) is { } nearest
                    ? $"unknown Akka key; did you mean `{Hocon.KeyPath.Join(path, nearest)}`?"
                    : "unknown Akka key: Akka's reference configuration has no such key"));
                continue;
            }
            var knownObject = known.GetObject();
            var writtenObject = value.GetObject();
            if (writtenObject is null && ThreadCountProblem(name, value) is { } threads)
                problems.Add((key, threads));
            if (knownObject is not null && writtenObject is null && !known.IsEmpty)
                problems.Add((key, "must be an object `{ … }`"));
            else if (knownObject is null && writtenObject is not null)
                problems.Add((key, "must be a value, not an object"));
            else if (knownObject is not null && writtenObject is not null && knownObject.Items.Count > 0 && !OpenMaps.Contains(key))
                CheckKeys(key, writtenObject, problems);
        }
    }

    private static void CheckValues(Config user, Config merged, bool clustered, List<(string, string)> problems)
    {
        foreach (var key in new[] { "akka.loglevel", "akka.stdout-loglevel" })
        {
            var level = String(merged, key);
            if (level is null || !LogLevels.Contains(level.ToUpperInvariant()))
                problems.Add((key, $"\"{level}\" is not a log level: write {string.Join(", ", LogLevels)}"));
        }

        var provider = String(merged, "akka.actor.provider") ?? "local";
        var wanted = clustered ? "cluster" : "local";
        if (user.HasPath("akka.actor.provider") && ProviderName(provider) != wanted)
            problems.Add(("akka.actor.provider", clustered
                ? $"\"{provider}\": a cluster node (gateway.cluster.enabled = on) runs the cluster provider: leave akka.actor.provider out"
                : $"\"{provider}\": a lone gateway runs the local provider; to make it a cluster node write gateway.cluster.enabled = on and leave akka.actor.provider out"));

        if (String(merged, "akka.coordinated-shutdown.run-by-clr-shutdown-hook") is { } hook && hook is not ("off" or "false"))
            problems.Add(("akka.coordinated-shutdown.run-by-clr-shutdown-hook",
                "must stay off: the gateway runs the shutdown itself after its drain (Akka's hook would stop every actor before Kestrel drains)"));

        foreach (var key in new[] { "akka.remote.dot-netty.tcp.port", "akka.remote.dot-netty.tcp.public-port" })
            if (user.HasPath(key) && (!int.TryParse(String(merged, key), out var port) || port is < 0 or > 65535))
                problems.Add((key, $"\"{String(merged, key)}\" is not a port (0–65535)"));
        if (user.HasPath("akka.remote.dot-netty.tcp.hostname") && string.IsNullOrWhiteSpace(String(merged, "akka.remote.dot-netty.tcp.hostname")))
            problems.Add(("akka.remote.dot-netty.tcp.hostname", "is empty: write the address other nodes reach this one at"));

        if (user.GetValue("akka.cluster.seed-nodes") is { } seeds)
        {
            if (seeds.GetObject() is not null || seeds.IsString() && !string.IsNullOrEmpty(seeds.GetString()))
                problems.Add(("akka.cluster.seed-nodes", "must be a list of addresses, e.g. [\"akka.tcp://gateway@127.0.0.1:4053\"]"));
            else
                foreach (var seed in seeds.GetArray())
                {
                    var text = seed.IsString() ? seed.GetString() : null;
                    if (text is null || !Akka.Actor.Address.TryParse(text, out var address) || address.Host is null || address.Port is null)
                        problems.Add(("akka.cluster.seed-nodes", $"\"{text}\" is not a node address: write akka.tcp://gateway@host:port"));
                    else if (address.System != "gateway")
                        problems.Add(("akka.cluster.seed-nodes", $"\"{text}\" names the actor system {address.System}: the gateway's is gateway (akka.tcp://gateway@{address.Host}:{address.Port})"));
                }
        }
    }

    /// <summary>
    /// A dispatcher's threads are made when it is, and an actor system is tried on every check and reload: a count no
    /// gateway needs would make thousands of threads in the running process.
    /// </summary>
    private static string? ThreadCountProblem(string name, HoconValue value)
    {
        const int most = 1024;
        var text = value.IsString() ? value.GetString() : null;
        if (name is "parallelism-min" or "parallelism-max" or "thread-count")
            return int.TryParse(text, out var count) && count is >= 1 and <= most ? null : $"\"{text}\" is not a number of threads from 1 to {most}";
        if (name == "parallelism-factor")
            return double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var factor)
                   && factor is > 0 and <= 64 ? null : $"\"{text}\" is not a factor of threads per core from 0 to 64";
        return null;
    }

    /// <summary>local, remote or cluster, for a provider written as an alias or a type name.</summary>
    private static string ProviderName(string provider) => provider.Trim() switch
    {
        var p when p.StartsWith("Akka.Actor.LocalActorRefProvider", StringComparison.Ordinal) => "local",
        var p when p.StartsWith("Akka.Remote.RemoteActorRefProvider", StringComparison.Ordinal) => "remote",
        var p when p.StartsWith("Akka.Cluster.ClusterActorRefProvider", StringComparison.Ordinal) => "cluster",
        var p => p.ToLowerInvariant(),
    };

    private static string? String(Config config, string key)
    {
        var value = config.GetValue(key);
        return value is not null && value.IsString() ? value.GetString() : null;
    }
}
