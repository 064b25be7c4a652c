using System.Text.RegularExpressions;
using Gateway.Configuration;
using Gateway.Tests.Cli;
using Xunit;

namespace Gateway.Tests.Deploy;

/// <summary>
/// deploy/container/Containerfile and the Kubernetes example that runs its image agree with each other, with the
/// README's build commands and with the drain's deadline. (No container engine runs here: the recipe is read, and
/// ReadmeCommandsTests checks its COPY sources against a real publish.)
/// </summary>
public sealed partial class ContainerRecipeTests
{
    private static readonly string Folder = Path.Combine(DeployFilesTests.Repo(), "deploy", "container");

    /// <summary>What `podman stop` and `docker stop` wait for by default before SIGKILL.</summary>
    private static readonly TimeSpan EngineStopTimeout = TimeSpan.FromSeconds(10);

    /// <summary>What the process needs after the deadline to stop its actor system (as deploy/ counts it).</summary>
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);

    internal static Containerfile Recipe() => Containerfile.Parse(File.ReadAllText(Path.Combine(Folder, "Containerfile")));

    [Fact]
    public void The_recipe_runs_the_published_launcher_as_an_unprivileged_user_and_stops_it_with_SIGTERM()
    {
        var recipe = Recipe();
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", recipe.Single("FROM"));
        var (launcherSource, launcherFolder) = recipe.Copies.Single(c => c.Destination == "/opt/gateway/");
        Assert.Equal($"{ReadmeCommands.PublishOutput()}/", launcherSource);
        Assert.Equal([$"{launcherFolder}gateway"], recipe.Exec("ENTRYPOINT").Take(1));
        Assert.Equal(DeployFilesTests.Launcher, recipe.Exec("ENTRYPOINT")[0]);

        var user = int.Parse(recipe.Single("USER"));
        Assert.NotEqual(0, user);
        Assert.Equal("SIGTERM", recipe.Single("STOPSIGNAL"));
    }

    [Fact]
    public void The_image_config_is_valid_and_drains_within_the_engines_default_stop_timeout()
    {
        var recipe = Recipe();
        var configPath = Assert.Single(recipe.Exec("CMD").SkipWhile(a => a != "--config").Skip(1).Take(1));
        var (source, _) = recipe.Copies.Single(c => c.Destination == configPath);
        var settings = GatewayConfigLoader.Load(Path.Combine(DeployFilesTests.Repo(), source));
        Assert.True(settings.Drain.Deadline + Margin <= EngineStopTimeout,
            $"the image's drain deadline {settings.Drain.Deadline} + {Margin} margin must fit in the engines' {EngineStopTimeout} stop timeout");
        Assert.Equal("0.0.0.0", settings.Listeners.Single().Address.Address.ToString());
        Assert.True(System.Net.IPAddress.IsLoopback(settings.Admin.Address.Address), "without a token the admin API stays on loopback");
    }

    [Fact]
    public void The_Kubernetes_example_runs_the_image_the_README_builds_with_its_entrypoint_user_and_config()
    {
        var recipe = Recipe();
        var manifest = File.ReadAllText(Path.Combine(DeployFilesTests.Repo(), "deploy", "kubernetes", "gateway.yaml"));

        Assert.Equal(ReadmeCommands.ImageTag(), Match(ImageLine(), manifest));
        Assert.DoesNotMatch(CommandLine(), manifest);  // the image's ENTRYPOINT (the launcher) runs
        Assert.Equal(recipe.Exec("CMD"), Match(ArgsLine(), manifest).Split(',').Select(a => a.Trim().Trim('"')).ToList());
        Assert.Equal(recipe.Single("USER"), Match(RunAsUser(), manifest));
        Assert.Contains("runAsNonRoot: true", manifest);

        // The config the args name is the ConfigMap's key, mounted over the image's own.
        var configPath = recipe.Exec("CMD")[1];
        Assert.Contains($"{{ name: config, mountPath: {Path.GetDirectoryName(configPath)} }}", manifest);
        Assert.Contains($"{Path.GetFileName(configPath)}: |", manifest);

        // Ports and the probes' token are the ConfigMap config's.
        var settings = DeployFilesTests.KubernetesConfig(manifest);
        Assert.Contains($"{{ name: http, containerPort: {settings.Listeners.Single().Address.Port} }}", manifest);
        Assert.Contains($"{{ name: admin, containerPort: {settings.Admin.Address.Port} }}", manifest);
        Assert.Equal(2, Regex.Matches(manifest, Regex.Escape($"value: \"Bearer {settings.Admin.Token}\"")).Count);
        Assert.DoesNotContain("emptyDir: {}   # replace", manifest);
    }

    private static string Match(Regex pattern, string text) => pattern.Match(text) is { Success: true } m
        ? m.Groups[1].Value
        : throw new Xunit.Sdk.XunitException($"/{pattern}/ not found");

    [GeneratedRegex(@"^\s+image: (\S+)", RegexOptions.Multiline)]
    private static partial Regex ImageLine();

    [GeneratedRegex(@"^\s+command:", RegexOptions.Multiline)]
    private static partial Regex CommandLine();

    [GeneratedRegex(@"^\s+args: \[(.*)\]", RegexOptions.Multiline)]
    private static partial Regex ArgsLine();

    [GeneratedRegex(@"runAsUser: (\d+)")]
    private static partial Regex RunAsUser();
}

/// <summary>The instructions of a Containerfile, comments and continuations aside (enough for ours).</summary>
internal sealed record Containerfile(IReadOnlyList<(string Instruction, string Arguments)> Lines)
{
    public static Containerfile Parse(string text) => new(text.Split('\n')
        .Select(l => l.Trim())
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => l.Split(' ', 2) is [var instruction, var arguments] ? (instruction, arguments.Trim()) : (l, ""))
        .ToList());

    public string Single(string instruction) => Lines.Single(l => l.Instruction == instruction).Arguments;

    /// <summary>An exec-form instruction (<c>["a", "b"]</c>) as its words.</summary>
    public IReadOnlyList<string> Exec(string instruction) =>
        System.Text.Json.JsonSerializer.Deserialize<string[]>(Single(instruction))!;

    public IReadOnlyList<(string Source, string Destination)> Copies => Lines.Where(l => l.Instruction == "COPY")
        .Select(l => l.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [var source, var destination]
            ? (source, destination)
            : throw new Xunit.Sdk.XunitException($"COPY {l.Arguments}: one source and one destination expected"))
        .ToList();
}
