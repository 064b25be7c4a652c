using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Gateway.Configuration;

namespace Gateway.Host.Cli;

/// <summary>
/// Where a command writes. Plain: results on stdout, errors on stderr as <c>gateway: …</c> lines. With
/// <c>--json</c>: one JSON object per line on stdout, errors included (<c>{"ok":false,"exitCode":…,"error":…}</c>),
/// so that a script reads one stream and never has to parse prose.
/// </summary>
internal sealed class CommandOutput(TextWriter output, TextWriter error, bool json)
{
    public static CommandOutput Console(bool json) => new(System.Console.Out, System.Console.Error, json);

    public TextWriter Out => output;

    public bool Json => json;

    /// <summary>Reports a failure that says what to do next; returns <paramref name="exitCode"/>.</summary>
    public int Fail(int exitCode, string message)
    {
        if (json) output.WriteLine(JsonSerializer.Serialize(new CommandFailure(false, exitCode, message), CommandJson.Readable.CommandFailure));
        else error.WriteLine($"gateway: {message}");
        return exitCode;
    }

    /// <summary>Every problem of a refused configuration (one line each, or one JSON object); returns 2.</summary>
    public int ConfigError(GatewayConfigException e)
    {
        if (json)
            output.WriteLine(JsonSerializer.Serialize(new ConfigFailure(false, ExitCodes.Config, $"configuration error: {e.Message}",
                [.. e.Problems.Select(p => new ConfigProblem(p.File, p.Line, p.Column, p.Key, p.Problem))]), CommandJson.Readable.ConfigFailure));
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
    public void Result<T>(T value, JsonTypeInfo<T> type, string text) => output.WriteLine(json ? JsonSerializer.Serialize(value, type) : text);

    /// <summary>A result the gateway gave: its JSON as it came, or <paramref name="text"/>.</summary>
    public void Result(AdminAnswer answer, string text) => output.WriteLine(json ? answer.Text : text);
}
