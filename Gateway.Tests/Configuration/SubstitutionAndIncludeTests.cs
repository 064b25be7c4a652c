using Gateway.Configuration;
using Xunit;

namespace Gateway.Tests.Configuration;

/// <summary>
/// <c>${VAR}</c> and <c>${?VAR}</c> from the environment (set and unset), substitutions of keys, and includes relative to
/// the file that includes them. Each test sets variables of its own name, so tests in parallel do not meet.
/// </summary>
public sealed class SubstitutionAndIncludeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-subst-").FullName;
    private readonly List<string> _variables = [];

    public void Dispose()
    {
        foreach (var variable in _variables) Environment.SetEnvironmentVariable(variable, null);
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>A variable name no other test uses, set to <paramref name="value"/> (null: unset).</summary>
    private string Variable(string? value)
    {
        var name = $"GATEWAY_TEST_{Guid.NewGuid():N}";
        _variables.Add(name);
        Environment.SetEnvironmentVariable(name, value);
        return name;
    }

    private const string Listener = "gateway.listeners.public.address = \"127.0.0.1:0\"\n";

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void A_variable_that_is_set_gives_its_value()
    {
        var token = Variable("0123456789abcdef-from-the-environment");

        var settings = GatewayConfigLoader.Parse(Listener + $"gateway.admin.token = ${{{token}}}", "/etc/gateway/env.conf");

        Assert.Equal("0123456789abcdef-from-the-environment", settings.Admin.Token);
    }

    [Fact]
    public void A_variable_that_is_not_set_names_itself_the_file_the_line_and_the_key()
    {
        var token = Variable(null);

        var error = Assert.Throws<GatewayConfigException>(() =>
            GatewayConfigLoader.Parse(Listener + $"gateway.admin.token = ${{{token}}}", "/etc/gateway/env.conf"));

        Assert.Equal(("/etc/gateway/env.conf", 2, "gateway.admin.token"), (error.File, error.Line, error.Key));
        Assert.Contains($"${{{token}}} is not set", error.Problem);
        Assert.Contains($"write ${{?{token}}}", error.Problem);
    }

    [Fact]
    public void An_optional_variable_is_used_when_set_and_leaves_its_key_out_when_unset()
    {
        string Config(string deadline, string endpoint, string name) => Listener + $$"""
            gateway {
              drain.deadline = ${?{{deadline}}}
              upstreams.api.endpoints = ["127.0.0.1:9001", ${?{{endpoint}}}]
              routes.hello { listener = public, direct-response { status = 200, body = "hello "${?{{name}}} } }
            }
            """;

        var unset = GatewayConfigLoader.Parse(Config(Variable(null), Variable(null), Variable(null)), "unset.conf");
        var set = GatewayConfigLoader.Parse(Config(Variable("5s"), Variable("127.0.0.1:9002"), Variable("bob")), "set.conf");

        Assert.Equal(TimeSpan.FromSeconds(30), unset.Drain.Deadline);  // the default of reference.conf
        Assert.Equal(["http://127.0.0.1:9001/"], unset.Upstreams.Single().Endpoints.Select(e => e.ToString()));
        Assert.Equal("hello", unset.Routes.Single().DirectResponse!.Body);
        Assert.Equal(TimeSpan.FromSeconds(5), set.Drain.Deadline);
        Assert.Equal(["http://127.0.0.1:9001/", "http://127.0.0.1:9002/"], set.Upstreams.Single().Endpoints.Select(e => e.ToString()));
        Assert.Equal("hello bob", set.Routes.Single().DirectResponse!.Body);
    }

    [Fact]
    public void A_value_from_the_environment_is_taken_exactly_quotes_backslashes_and_new_lines_included()
    {
        const string value = "say \"hi\" \\ to\nall } ] ${x} # not a comment";
        var body = Variable(value);

        var settings = GatewayConfigLoader.Parse(Listener + $"gateway.routes.r {{ listener = public, direct-response.body = ${{{body}}} }}", "exact.conf");

        Assert.Equal(value, settings.Routes.Single().DirectResponse!.Body);
    }

    [Fact]
    public void A_substitution_names_a_key_of_the_file_or_a_default_and_a_key_wins_over_a_variable_of_that_name()
    {
        var settings = GatewayConfigLoader.Parse(Listener + """
            gateway {
              upstreams.a.endpoints = ["127.0.0.1:9001", "127.0.0.1:9002"]
              upstreams.b.endpoints = ${gateway.upstreams.a.endpoints}
              listeners.copy = ${gateway.listeners.public}
              drain.announce = ${gateway.drain.idle-quiet}
            }
            """, "keys.conf");

        Assert.Equal(settings.Upstreams.Single(u => u.Name == "a").Endpoints, settings.Upstreams.Single(u => u.Name == "b").Endpoints);
        Assert.Equal(settings.Listeners.Single(l => l.Name == "public").Address, settings.Listeners.Single(l => l.Name == "copy").Address);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.Drain.Announce);  // gateway.drain.idle-quiet of reference.conf
    }

    [Fact]
    public void Includes_are_found_relative_to_the_file_that_includes_them_wherever_the_process_runs()
    {
        var main = Write("main.conf", """
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              include "conf.d/routes.conf"
            }
            """);
        Write("conf.d/routes.conf", """
            routes.api { listener = public, path-prefix = "/api", upstream = api }
            include required("upstreams.conf")
            """);
        Write("conf.d/upstreams.conf", "upstreams.api.endpoints = [\"127.0.0.1:9001\"]\n");
        Assert.NotEqual(_folder, Directory.GetCurrentDirectory());

        var settings = GatewayConfigLoader.Load(main);

        Assert.Equal(("api", "/api", "api"), settings.Routes.Select(r => (r.Name, r.PathPrefix, r.Upstream!)).Single());
        Assert.Equal("api", settings.Upstreams.Single().Name);
        Assert.Empty(settings.Notes);
    }

    [Fact]
    public void An_include_is_read_where_it_stands_so_what_follows_it_wins()
    {
        Write("slow.conf", "gateway.drain.deadline = 3s\n");
        var includedFirst = GatewayConfigLoader.Load(Write("first.conf", Listener + "include \"slow.conf\"\ngateway.drain.deadline = 7s\n"));
        var includedLast = GatewayConfigLoader.Load(Write("last.conf", Listener + "gateway.drain.deadline = 7s\ninclude \"slow.conf\"\n"));

        Assert.Equal(TimeSpan.FromSeconds(7), includedFirst.Drain.Deadline);
        Assert.Equal(TimeSpan.FromSeconds(3), includedLast.Drain.Deadline);
    }

    [Fact]
    public void A_missing_include_is_noted_and_skipped_and_a_missing_required_one_names_the_file_and_the_line()
    {
        var optional = GatewayConfigLoader.Load(Write("optional.conf", Listener + "include \"nowhere.conf\"\n"));
        var error = Assert.Throws<GatewayConfigException>(() =>
            GatewayConfigLoader.Load(Write("required.conf", Listener + "include required(\"nowhere.conf\")\n")));

        var check = CheckCommand.Run(Path.Combine(_folder, "optional.conf"));
        Assert.Equal(0, check.Code);
        Assert.Contains($"gateway: note: {Path.Combine(_folder, "optional.conf")}:2: include \"nowhere.conf\"", check.Error);
        var note = Assert.Single(optional.Notes);
        Assert.StartsWith($"{Path.Combine(_folder, "optional.conf")}:2: include \"nowhere.conf\": {Path.Combine(_folder, "nowhere.conf")} does not exist", note);
        Assert.Equal((Path.Combine(_folder, "required.conf"), 2), (error.File, error.Line));
        Assert.Contains($"{Path.Combine(_folder, "nowhere.conf")}: cannot read the file: no such file", error.Problem);
    }

    [Fact]
    public void A_problem_in_an_included_file_names_that_file_and_its_line()
    {
        Write("conf.d/bad.conf", "# the routes\nroutes.r { listener = public, upstream = nowhere }\n");

        var error = Assert.Throws<GatewayConfigException>(() =>
            GatewayConfigLoader.Load(Write("main.conf", Listener + "gateway { include \"conf.d/bad.conf\" }\n")));

        Assert.Equal((Path.Combine(_folder, "conf.d", "bad.conf"), 2, "gateway.routes.r.upstream"), (error.File, error.Line, error.Key));
    }
}
