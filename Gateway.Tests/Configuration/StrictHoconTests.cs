using Akka.Configuration;
using Gateway.Configuration;
using Gateway.Configuration.Hocon;
using Xunit;

namespace Gateway.Tests.Configuration;

/// <summary>
/// The strict reader refuses what Akka's HOCON library misreads, and changes nothing of what it reads right: valid
/// HOCON gives the very tree the library gives, and every file the gateway ships passes it.
/// </summary>
public sealed class StrictHoconTests
{
    private static string Repo([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>HOCON's constructs that Akka's library reads as HOCON means them (no substitutions or includes: it has none).</summary>
    private const string Valid = """"
        # a comment
        // another
        a { b = 1, c = "two", d = [1, 2, 3,], e { f = on } }
        a.g = "x" "y"
        a.h = foo bar
        h : """several
        lines"""
        "quoted.key" = 5
        i = [
          { j = 1 }
          { k = 2 },
        ]
        l = 1.5
        m
        {
          n =
            "on the next line"
        }
        o = {}
        p = "escapes \" \\ \t \u00e9"
        q.r.s = /a/single/slash/path
        t = [[1, 2], []]
        """";

    [Fact]
    public void Valid_HOCON_reads_to_the_same_tree_as_Akkas_library_gives()
    {
        var ours = StrictHocon.Parse(Valid, "/etc/gateway/valid.conf", "/etc/gateway", Config.Empty).User;
        var akka = ConfigurationFactory.ParseString(Valid);

        Assert.Equal(akka.Root.ToString(), ours.Root.ToString());
        Assert.Equal("x y", ours.GetString("a.g"));
        Assert.Equal(2, ours.GetValue("i").GetArray().Count);
        Assert.Equal("on the next line", ours.GetString("m.n"));
    }

    public static TheoryData<string> ShippedFiles() => new() { "hocon/reference.conf", "hocon/gateway.conf" };

    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public void Every_shipped_file_passes_the_strict_reader(string file)
    {
        var text = File.ReadAllText(Path.Combine(Repo(), file));

        var parsed = StrictHocon.Parse(text, file, Repo(), Config.Empty);

        Assert.Equal(ConfigurationFactory.ParseString(text).Root.ToString(), parsed.User.Root.ToString());
    }

    [Fact]
    public void Lines_and_columns_count_from_one_across_CRLF_line_ends()
    {
        var error = Assert.Throws<GatewayConfigException>(() =>
            GatewayConfigLoader.Parse("gateway {\r\n  log.format = json\r\n  drain.deadline = \"5s\r\n}\r\n", "/etc/gateway/crlf.conf"));

        Assert.Equal((3, 20), (error.Line, error.Column));
        Assert.StartsWith("/etc/gateway/crlf.conf:3:20: this string is never closed", error.Message);
    }

    [Fact]
    public void Every_problem_of_a_file_is_reported_at_once_each_at_its_own_line()
    {
        var error = Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Parse("""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              drain.deadline = 30
              upstreams.api { endpoints = ["127.0.0.1:0"] }
              log.format = xml
            }
            akka.loglevel = LOUD
            """, "/etc/gateway/many.conf"));

        Assert.Equal(
            ["3 gateway.drain.deadline", "4 gateway.upstreams.api.endpoints", "5 gateway.log.format", "7 akka.loglevel"],
            error.Problems.Select(p => $"{p.Line} {p.Key}").Order());
    }
}
