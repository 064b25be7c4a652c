using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Configuration;

namespace Gateway.Host.Cli;

/// <summary>
/// Where a command writes. Plain: results on stdout, errors on stderr as <c>gateway: …</c> lines. With
/// <c>--json</c>: one JSON object per line on stdout, errors included (<c>{"ok":false,"exitCode":…,"error":…}</c>),
/// so that a script reads one stream and never has to parse prose.
/// </summary>
internal sealed class CommandOutput(TextWriter output, TextWriter error, bool json)
{
    // Messages quote paths and names: keep them readable (no \u0027 for an apostrophe); this is no HTML.
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static CommandOutput Console(bool json) => new(System.Console.Out, System.Console.Error, json);

    public TextWriter Out => output;

    public bool Json => json;

    /// <summary>Reports a failure that says what to do next; returns <paramref name="exitCode"/>.</summary>
    public int Fail(int exitCode, string message)
    {
        if (json) output.WriteLine(JsonSerializer.Serialize(new { ok = false, exitCode, error = message }, Options));
        else error.WriteLine($"gateway: {message}");
        return exitCode;
    }

    /// <summary>Every problem of a refused configuration (one line each, or one JSON object); returns 2.</summary>
    public int ConfigError(GatewayConfigException e)
    {
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new
            {
                ok = false,
                exitCode = ExitCodes.Config,
                error = $"configuration error: {e.Message}",
                problems = e.Problems.Select(p => new { file = p.File, line = p.Line, column = p.Column, key = p.Key, problem = p.Problem }),
            }, Options));
        else
            foreach (var problem in e.Problems)
                error.WriteLine($"gateway: configuration error: {problem.Message}");
        return ExitCodes.Config;
    }

    /// <summary>Something reading the config noticed without refusing it (JSON carries it in the result itself).</summary>
    public void Note(string note)
    {
        if (!json) error.WriteLine($"gateway: note: {note}");
    }

    /// <summary>A result: <paramref name="value"/> as JSON, or <paramref name="text"/>.</summary>
    public void Result(object value, string text) => output.WriteLine(json ? JsonSerializer.Serialize(value, Options) : text);
}
