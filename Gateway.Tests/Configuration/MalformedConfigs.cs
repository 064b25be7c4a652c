using System.Text;

namespace Gateway.Tests.Configuration;

/// <summary>
/// One wrong configuration file: its text (or raw bytes), the files beside it, and what its error must name — the
/// file (<see cref="InFile"/>, or the configuration itself), the line, the key, and a phrase of the problem.
/// </summary>
public sealed record MalformedConfig(string Name, string Text, int? Line, string? Key, string Says)
{
    /// <summary>The file the error is in, when it is one the configuration includes.</summary>
    public string? InFile { get; init; }

    /// <summary>Files written beside the configuration (name → text), for includes.</summary>
    public IReadOnlyDictionary<string, string> Beside { get; init; } = new Dictionary<string, string>();

    /// <summary>The file's bytes when they are not UTF-8 text.</summary>
    public byte[]? Raw { get; init; }

    /// <summary>Writes the files into <paramref name="folder"/> and returns the configuration's path.</summary>
    public string WriteTo(string folder, string fileName = "gateway.conf")
    {
        foreach (var (name, text) in Beside)
        {
            var path = Path.Combine(folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
        }
        var config = Path.Combine(folder, fileName);
        if (Raw is not null) File.WriteAllBytes(config, Raw);
        else File.WriteAllText(config, Text);
        return config;
    }

    public override string ToString() => Name;
}

/// <summary>
/// Every way a configuration file was found to hurt or fool the gateway, and more: text HOCON's library misread or
/// never finished, substitutions and includes, durations and sizes without units, <c>akka.*</c>, and what only
/// <c>run</c> used to find. Lines count from 1; each case's own lines start at line 5, after <see cref="Head"/>.
/// </summary>
public static class MalformedConfigs
{
    /// <summary>A valid start: a listener, the admin API and a route (lines 1–4).</summary>
    private const string Head = """
        gateway {
          listeners.public { address = "127.0.0.1:0" }
          admin.address = "127.0.0.1:0"
          routes.hello { listener = public, direct-response { status = 200, body = "hello" } }
        """;

    /// <summary>An environment variable no test sets.</summary>
    public const string UnsetVariable = "GATEWAY_TEST_NEVER_SET_7c1e";

    /// <summary><see cref="Head"/>, the case's lines from line 5 on, and the closing brace.</summary>
    private static string With(string lines) => Head + "\n" + lines + "\n}\n";

    private static MalformedConfig Case(string name, string lines, int? line, string? key, string says) => new(name, With(lines), line, key, says);

    public static readonly IReadOnlyList<MalformedConfig> All =
    [
        // Brackets and what follows the root: Akka's reader looped for ever, bloated, or ignored the rest.
        Case("unclosed list", "  upstreams.api { endpoints = [\"127.0.0.1:9001\" }\n  routes.api { listener = public, upstream = api }", 5, "gateway.upstreams.api.endpoints", "close the list with ]"),
        new("unclosed list at the end of the file", Head + "\n  upstreams.api { endpoints = [\"127.0.0.1:9001\"", 5, "gateway.upstreams.api.endpoints", "[ is never closed"),
        Case("an extra {", "  {\n  drain.deadline = 5s", 5, "gateway", "a { with no key before it"),
        new("a missing } at the end", Head + "\n  drain.deadline = 5s\n", 1, null, "{ is never closed"),
        Case("an extra } at the end", "  drain.deadline = 5s\n}", 7, null, "closes nothing"),
        Case("trailing junk", "  drain.deadline = 5s\n}}} junk", 6, null, "closes nothing"),
        new("text after the root object", "{\n" + Head + "\n}\n}\nextra = 1\n", 8, null, "text after the }"),
        Case("a ] that closes no list", "  drain.deadline = 5s ]", 5, "gateway", "closes no list"),
        Case("a } inside a list", "  upstreams.api.endpoints = [\"127.0.0.1:9001\", }", 5, "gateway.upstreams.api.endpoints", "inside the list"),
        Case("nesting without end", "  x " + string.Concat(Enumerable.Repeat("{ a ", 80)) + string.Concat(Enumerable.Repeat("} ", 80)), 5, null, "nested deeper than 64 levels"),

        // Strings, bytes and characters.
        new("an unterminated string at the end", Head + "\n  log.format = \"json", 5, null, "string is never closed"),
        Case("an unterminated string in a line", "  log.format = \"json\n  drain.deadline = 5s", 5, null, "string is never closed"),
        Case("an unterminated triple-quoted string", "  routes.hello.direct-response.body = \"\"\"hello\n  drain.deadline = 5s", 5, null, "\"\"\" string is never closed"),
        Case("a NUL byte inside a value", "  log.format = \"js\0on\"", 5, null, "control character (U+0000)"),
        Case("a NUL byte outside a string", "  log.format = js\0on", 5, null, "control character (U+0000)"),
        Case("a control byte in a comment", "  # a bell \a in a comment", 5, null, "control character (U+0007) in a comment"),
        Case("a lone carriage return", "  log.format = json\r  drain.deadline = 5s", 5, null, "carriage return without a line feed"),
        Case("an unknown escape", "  routes.hello.direct-response.body = \"a\\qb\"", 5, null, "unknown escape"),
        Case("a short unicode escape", "  routes.hello.direct-response.body = \"\\u12\"", 5, null, "four hex digits"),
        Case("a non-breaking space outside quotes", "  log.format =\u00A0json", 5, null, "unusual space character (U+00A0)"),
        Case("a byte order mark inside the text", "  log.format = \uFEFFjson", 5, null, "byte order mark"),
        new("bytes that are not UTF-8", "", 5, null, "byte 0xFF is not UTF-8")
        {
            Raw = [.. Encoding.UTF8.GetBytes(Head + "\n  log.format = \""), 0xFF, .. Encoding.UTF8.GetBytes("\"\n}\n")],
        },
        new("a file larger than 1 MiB", Head + "\n" + string.Concat(Enumerable.Repeat("  # " + new string('x', 1020) + "\n", 1100)) + "}\n", null, null, "larger than 1 MiB"),

        // Keys, separators and values.
        Case("two fields on one line", "  log.format = json drain.deadline = 5s", 5, "gateway.log.format", "inside a value"),
        Case("an unquoted URL", "  upstreams.api.endpoints = [http://127.0.0.1:9001]", 5, "gateway.upstreams.api.endpoints", "inside a value"),
        Case("a reserved character outside quotes", "  routes.hello.direct-response.body = hello?", 5, null, "`?` cannot be written outside quotes"),
        Case("+= on a list", "  upstreams.api.endpoints += \"127.0.0.1:9001\"", 5, "gateway.upstreams.api.endpoints", "`+=` is not supported"),
        Case("a key without a value", "  log.format =\n}\ngateway.drain.deadline = 5s", 6, "gateway.log.format", "expected a value"),
        Case("a key alone on its line", "  drain.deadline\n  = 5s", 5, "gateway.drain.deadline", "ends its line"),
        Case("a value joined with an object", "  routes.hello.direct-response = x { status = 200 }", 5, "gateway.routes.hello.direct-response", "joined with an object"),
        Case("two commas in a row", "  drain { announce = 0s,, deadline = 5s }", 5, "gateway.drain", "two commas"),
        Case("a leading comma", "  drain { , deadline = 5s }", 5, "gateway.drain", "comma with nothing before it"),
        Case("an empty key segment", "  drain..deadline = 5s", 5, null, "empty part in a key"),
        Case("a quoted key part without a dot", "  drain\"deadline\" = 5s", 5, null, "write a dot between the parts of a key"),
        Case("a triple-quoted key", "  \"\"\"drain\"\"\" = 5s", 5, null, "key cannot be a \"\"\" string"),
        Case("a list given to the routes object", "  drain.deadline = 5s\n  routes = []", 6, "gateway.routes", "is an object (written at line 4) and is given a list"),
        Case("a value given to the admin object", "  admin = \"127.0.0.1:15000\"", 5, "gateway.admin", "is an object (written at line 3) and is given a value"),

        // Substitutions.
        Case("a self-referencing substitution", "  log.format = ${gateway.log.format}", 5, "gateway.log.format", "refers to itself"),
        Case("a cycle of substitutions", "  log.format = ${gateway.admin.token}\n  admin.token = ${gateway.log.format}", 5, "gateway.log.format", "refer to each other in a circle"),
        Case("an unset variable", $"  admin.token = ${{{UnsetVariable}}}", 5, "gateway.admin.token", $"${{{UnsetVariable}}} is not set"),
        Case("an object joined with text", "  routes.hello.direct-response.body = \"x\"${gateway.admin}", 5, "gateway.routes.hello.direct-response.body", "cannot be joined with text"),
        Case("a substitution never closed", "  admin.token = ${GW_TOKEN", 5, null, "substitution is never closed"),
        Case("an empty substitution", "  admin.token = ${}", 5, null, "a substitution needs a name"),
        Case("a $ outside quotes", "  routes.hello.direct-response.body = $5", 5, null, "a `$` outside quotes"),
        Case("substitutions that double each other", string.Join("\n", Enumerable.Range(1, 14).Select(i =>
                $"  x{i} = {{ p = ${{gateway.x{i - 1}}}, q = ${{gateway.x{i - 1}}}, r = ${{gateway.x{i - 1}}}, s = ${{gateway.x{i - 1}}} }}").Prepend("  x0 = { a = 1, b = 2 }")),
            null, null, "come to more than 256 KiB"),
        Case("a substitution as a key", "  ${GW_KEY} = 5s", 5, "gateway", "substitution with no key before it"),

        // Includes.
        Case("a missing required include", "  include required(\"routes-missing.conf\")", 5, "gateway", "routes-missing.conf: cannot read the file: no such file"),
        Case("an included folder", "  include required(\"sub\")", 5, "gateway", "it is a folder") with { Beside = new Dictionary<string, string> { ["sub/keep.conf"] = "" } },
        Case("an include cycle", "  include \"loop-a.conf\"", 1, "gateway", "includes itself") with
        {
            InFile = "loop-b.conf",
            Beside = new Dictionary<string, string> { ["loop-a.conf"] = "include \"loop-b.conf\"\n", ["loop-b.conf"] = "include \"loop-a.conf\"\n" },
        },
        Case("an include of a URL", "  include url(\"http://127.0.0.1/x.conf\")", 5, "gateway", "only files can be included"),
        Case("an error in an included file", "  include \"routes-bad.conf\"", 2, "gateway.routes.bad.listener", "unknown listener \"nowhere\"") with
        {
            InFile = "routes-bad.conf",
            Beside = new Dictionary<string, string> { ["routes-bad.conf"] = "routes.bad {\n  listener = nowhere\n  direct-response.status = 200\n}\n" },
        },
        Case("a syntax error in an included file", "  include \"syntax-bad.conf\"", 2, null, "string is never closed") with
        {
            InFile = "syntax-bad.conf",
            Beside = new Dictionary<string, string> { ["syntax-bad.conf"] = "log.format = json\ndrain.deadline = \"5s\n" },
        },

        // Durations and sizes need units; errors name the key written.
        Case("a bare number for a timeout", "  upstreams.api { endpoints = [\"127.0.0.1:9001\"], response-timeout = 30 }", 5, "gateway.upstreams.api.response-timeout", "has no unit: write 30s"),
        Case("a bare number for the deadline", "  drain.deadline = 30", 5, "gateway.drain.deadline", "has no unit"),
        Case("a bare number for a size", "  limits.max-body-bytes = 1024", 5, "gateway.limits.max-body-bytes", "has no unit: write 1024B"),
        Case("an unknown unit of time", "  drain.deadline = 5 sec", 5, "gateway.drain.deadline", "not a unit of time"),
        Case("an unknown unit of size", "  limits.max-body-bytes = 8 KB", 5, "gateway.limits.max-body-bytes", "not a unit of size"),
        Case("a duration longer than a year", "  drain.deadline = 400d", 5, "gateway.drain.deadline", "longer than a year"),
        Case("a deadline too short for the idle quiet", "  drain.deadline = 100ms", 5, "gateway.drain.deadline", "must end before the deadline"),
        Case("a queue reserve longer than a short deadline", "  drain.deadline = 5s\n  cluster { enabled = on, seed-nodes = [\"127.0.0.1:4053\"] }", 5, "gateway.drain.deadline", "longer than the drain deadline"),

        // akka.* is checked before anything binds.
        Case("an akka log level that does not exist", "}\nakka.loglevel = LOUD\ngateway {", 6, "akka.loglevel", "is not a log level"),
        Case("an akka key with a typo", "}\nakka.logleve = DEBUG\ngateway {", 6, "akka.logleve", "did you mean `akka.loglevel`?"),
        Case("a nested akka key with a typo", "}\nakka.actor.debug.recieve = on\ngateway {", 6, "akka.actor.debug.recieve", "did you mean `akka.actor.debug.receive`?"),
        Case("akka written as a value", "}\nakka = on\ngateway {", 6, "akka", "must be an object"),
        Case("the cluster provider on a lone gateway", "}\nakka.actor.provider = cluster\ngateway {", 6, "akka.actor.provider", "a lone gateway runs the local provider"),
        Case("Akka's own shutdown hook", "}\nakka.coordinated-shutdown.run-by-clr-shutdown-hook = on\ngateway {", 6, "akka.coordinated-shutdown.run-by-clr-shutdown-hook", "must stay off"),
        Case("a remoting port that is not a number", "}\nakka.remote.dot-netty.tcp.port = abc\ngateway {", 6, "akka.remote.dot-netty.tcp.port", "is not a port"),
        Case("a seed node of another actor system", "}\nakka.cluster.seed-nodes = [\"akka.tcp://other@127.0.0.1:4053\"]\ngateway {", 6, "akka.cluster.seed-nodes", "the gateway's is gateway"),
        Case("a dispatcher of a hundred thousand threads", "}\nakka.actor.default-dispatcher.fork-join-executor.parallelism-min = 100000\ngateway {", 6,
            "akka.actor.default-dispatcher.fork-join-executor.parallelism-min", "not a number of threads from 1 to 1024"),
        Case("a dispatcher Akka cannot load", "}\nakka.actor.default-dispatcher.type = NoSuchDispatcher\ngateway {", 6, "akka.actor.default-dispatcher", "the actor system does not start"),

        // What only `run` found before: addresses that cannot all be bound, missing folders, unreadable files.
        Case("a wildcard beside a specific address", "  listeners.any { address = \"0.0.0.0:18431\" }\n  listeners.local { address = \"127.0.0.1:18431\" }", 6, "gateway.listeners.local.address", "overlaps 0.0.0.0:18431"),
        Case("an IPv6 wildcard beside loopback", "  listeners.any { address = \"[::]:18432\" }\n  listeners.local { address = \"[::1]:18432\" }", 6, "gateway.listeners.local.address", "overlaps [::]:18432"),
        Case("the admin API on a listener's wildcard port", "  listeners.any { address = \"0.0.0.0:18433\" }\n  admin.address = \"127.0.0.1:18433\"", 6, "gateway.admin.address", "overlaps"),
        Case("an access log in a missing folder", "  access-log.path = \"/nonexistent-gateway-folder/access.log\"", 5, "gateway.access-log.path", "folder /nonexistent-gateway-folder does not exist"),
        Case("a hot-restart socket in a missing folder", "  hot-restart.socket = \"/nonexistent-gateway-folder/control.sock\"", 5, "gateway.hot-restart.socket", "does not exist"),
        Case("a certificate that is a folder", "  listeners.public.tls { certificate = \".\", key = \"key.pem\" }", 5, "gateway.listeners.public.tls.certificate", "it is a folder"),
        Case("TLS files that do not exist", "  listeners.public.tls { certificate = \"missing.pem\", key = \"missing.key\" }", 5, "gateway.listeners.public.tls.certificate", "missing.pem: no such file"),

        // Routes that can never match, endpoints the gateway would use differently from how they read.
        Case("the same prefix twice", "  routes.again { listener = public, direct-response { status = 200, body = \"again\" } }", 5, "gateway.routes.again", "never matches: route hello"),
        Case("a prefix with a dot segment", "  routes.hello.path-prefix = \"/api/../admin\"", 5, "gateway.routes.hello.path-prefix", "`..` segment"),
        Case("a prefix with a query", "  routes.hello.path-prefix = \"/api?x=1\"", 5, "gateway.routes.hello.path-prefix", "a query or fragment"),
        Case("a prefix with an encoded slash", "  routes.hello.path-prefix = \"/a%2Fb\"", 5, "gateway.routes.hello.path-prefix", "percent escape"),
        Case("a host with a port", "  routes.hello.host = \"example.test:8080\"", 5, "gateway.routes.hello.host", "has a port"),
        Case("a host with a wildcard", "  routes.hello.host = \"*.example.test\"", 5, "gateway.routes.hello.host", "has a wildcard"),
        Case("an endpoint on port 0", "  upstreams.api.endpoints = [\"127.0.0.1:0\"]", 5, "gateway.upstreams.api.endpoints", "port 0"),
        Case("an endpoint with a query", "  upstreams.api.endpoints = [\"http://127.0.0.1:9001/?debug=1\"]", 5, "gateway.upstreams.api.endpoints", "query or fragment"),
        Case("an endpoint with a path", "  upstreams.api.endpoints = [\"http://127.0.0.1:9001/base\"]", 5, "gateway.upstreams.api.endpoints", "holds a path"),
        Case("an endpoint with credentials", "  upstreams.api.endpoints = [\"http://user:secret@127.0.0.1:9001\"]", 5, "gateway.upstreams.api.endpoints", "holds credentials"),

        // Keys the gateway does not know.
        Case("an unknown key", "  drain.deadlin = 5s", 5, "gateway.drain.deadlin", "did you mean `deadline`?"),
        Case("an unknown top-level key", "}\nrotues.r = 1\ngateway {", 6, "rotues", "unknown key"),
    ];

    /// <summary>
    /// Asserts that one of <paramref name="lines"/> names the file the problem is in, its line, its key and the
    /// problem, and that none carries an exception's text (a type name, a stack frame).
    /// </summary>
    public static void AssertNamed(MalformedConfig bad, string configPath, IReadOnlyCollection<string> lines)
    {
        var file = bad.InFile is { } included ? Path.Combine(Path.GetDirectoryName(configPath)!, included) : configPath;
        var pattern = System.Text.RegularExpressions.Regex.Escape(file)
            + (bad.Line is { } line ? $@":{line}(:\d+)?" : @"(:\d+){0,2}") + ": "
            + (bad.Key is { } key ? System.Text.RegularExpressions.Regex.Escape(key) + ": " : "")
            + ".*" + System.Text.RegularExpressions.Regex.Escape(bad.Says);
        Xunit.Assert.True(lines.Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, pattern)),
            $"{bad.Name}: no line matches /{pattern}/:\n{string.Join('\n', lines)}");
        foreach (var text in lines)
            foreach (var leak in new[] { "Exception", "   at ", "Object reference", "System.", "Akka.Configuration" })
                Xunit.Assert.False(text.Contains(leak, StringComparison.Ordinal), $"{bad.Name}: exception text \"{leak}\" in: {text}");
    }

    /// <summary>The table as xunit theory data (by name, so each case shows on its own).</summary>
    public static IEnumerable<object[]> Names => All.Select(c => new object[] { c.Name });

    public static MalformedConfig Named(string name) => All.Single(c => c.Name == name);
}
