using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Configuration;

/// <summary>
/// Every file of <see cref="MalformedConfigs"/> through <c>check</c> (the function the command runs, in process): exit
/// 2, and an error line naming the file, the line, the key and the problem, with no exception's text in it.
/// </summary>
public sealed class MalformedConfigTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-malformed-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void The_table_holds_at_least_sixty_distinct_files()
    {
        Assert.True(MalformedConfigs.All.Count >= 60, $"{MalformedConfigs.All.Count} cases");
        Assert.Equal(MalformedConfigs.All.Count, MalformedConfigs.All.Select(c => c.Name).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(MalformedConfigs.Names), MemberType = typeof(MalformedConfigs))]
    public void Check_exits_2_naming_the_file_the_line_and_the_key(string name)
    {
        var bad = MalformedConfigs.Named(name);
        var path = bad.WriteTo(_folder);
        var (code, stdout, error) = CheckCommand.Run(path);

        output.WriteLine(error);
        Assert.True(code == 2, $"{name}: exit {code}\n{stdout}{error}");
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => Assert.StartsWith("gateway: configuration error: ", l));
        MalformedConfigs.AssertNamed(bad, path, lines);
    }
}
