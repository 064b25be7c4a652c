using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Gateway.Host.Cli;

/// <summary>
/// A tree of keys written as a person writes HOCON: named objects one per line (<c>listeners.public { … }</c>), a
/// short object on one line and a long one as a block, <c>on</c>/<c>off</c>, and quantities and words unquoted.
/// </summary>
internal static partial class HoconText
{
    /// <summary>An object longer than this on one line is written as a block, one key per line.</summary>
    private const int LineWidth = 110;

    public static string Write(JsonObject root)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in root)
            Block(text, Key(key), value!.AsObject(), indent: "");
        return text.ToString().TrimEnd('\n');
    }

    private static void Block(StringBuilder text, string key, JsonObject value, string indent)
    {
        text.Append(indent).Append(key).Append(" {\n");
        foreach (var (child, node) in value)
            Entry(text, Key(child), node!, indent + "  ");
        text.Append(indent).Append("}\n");
    }

    private static void Entry(StringBuilder text, string key, JsonNode value, string indent)
    {
        // Listeners, routes, upstreams: each named object on a line of its own, under its dotted path.
        if (value is JsonObject { Count: > 0 } named && named.All(p => p.Value is JsonObject))
        {
            foreach (var (name, child) in named)
                Entry(text, $"{key}.{Key(name)}", child!, indent);
            return;
        }
        var line = value is JsonObject ? $"{key} {Inline(value)}" : $"{key} = {Inline(value)}";
        if (value is JsonObject { Count: > 1 } block && indent.Length + line.Length > LineWidth)
            Block(text, key, block, indent);
        else
            text.Append(indent).Append(line).Append('\n');
    }

    private static string Inline(JsonNode value) => value switch
    {
        JsonObject o when o.Count == 0 => "{}",
        JsonObject o => "{ " + string.Join(", ", o.Select(p => p.Value is JsonObject ? $"{Key(p.Key)} {Inline(p.Value)}" : $"{Key(p.Key)} = {Inline(p.Value!)}")) + " }",
        JsonArray a => "[" + string.Join(", ", a.Select(v => Inline(v!))) + "]",
        _ => value.GetValueKind() switch
        {
            JsonValueKind.True => "on",
            JsonValueKind.False => "off",
            JsonValueKind.Number => value.ToJsonString(),
            _ => Word(value.GetValue<string>()),
        },
    };

    /// <summary>A quantity (<c>30s</c>, <c>64KiB</c>, <c>20%</c>) or a lower-case word (<c>http</c>) as is; anything else quoted.</summary>
    private static string Word(string text) =>
        text != "null" && Bare().IsMatch(text) ? text : Quote(text);

    private static string Key(string key) => KeyWord().IsMatch(key) ? key : Quote(key);

    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
            quoted.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                < ' ' => string.Create(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => c.ToString(),
            });
        return quoted.Append('"').ToString();
    }

    [GeneratedRegex(@"^([0-9]+(\.[0-9]+)?[A-Za-z%]+|[a-z][a-z0-9-]*)$")]
    private static partial Regex Bare();

    [GeneratedRegex(@"^[A-Za-z0-9_-]+$")]
    private static partial Regex KeyWord();
}
