using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Gateway.Tests.Lifecycle;
using Xunit;

namespace Gateway.Tests;

/// <summary>The suite keeps the rules of Gateway.Tests/README.md: a class's name says whether it runs on virtual time; namespace = folder.</summary>
public sealed class TestSuiteTests
{
    private static readonly Type[] TestClasses = [.. typeof(TestSuiteTests).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && t.GetMethods().Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()))];

    [Fact]
    public void Every_test_class_says_whether_it_runs_on_virtual_time()
    {
        static bool Specs(Type t) => t.Name.EndsWith("Specs", StringComparison.Ordinal);
        // The simulated world: every class there runs the tree on the simulation's scheduler.
        static bool Simulated(Type t) => t.Namespace == typeof(Simulation.GatewaySimulation).Namespace;

        Assert.NotEmpty(TestClasses);
        Assert.Empty(TestClasses.Where(t => !Specs(t) && !t.Name.EndsWith("Tests", StringComparison.Ordinal)).Select(t => t.FullName));
        Assert.Empty(TestClasses.Where(t => Specs(t) != (t.IsSubclassOf(typeof(GatewaySpec)) || Simulated(t))).Select(t => t.FullName));
    }

    [Fact]
    public void Every_file_s_namespace_is_its_folder()
    {
        var root = Path.GetDirectoryName(Here())!;
        var files = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .ToList();

        Assert.True(files.Count > 100, $"found {files.Count} files under {root}");
        var wrong = files.Select(f => (File: Path.GetRelativePath(root, f), Expected: Expected(root, f),
                Actual: Regex.Match(File.ReadAllText(f), @"^namespace ([\w.]+);", RegexOptions.Multiline).Groups[1].Value))
            .Where(f => f.Expected != f.Actual).Select(f => $"{f.File}: namespace {f.Actual}, not {f.Expected}");
        Assert.Empty(wrong);
    }

    private static string Expected(string root, string file) =>
        string.Join('.', new[] { "Gateway", "Tests" }.Concat(Path.GetRelativePath(root, Path.GetDirectoryName(file)!).Split(Path.DirectorySeparatorChar).Where(p => p != ".")));

    private static string Here([CallerFilePath] string path = "") => path;
}
