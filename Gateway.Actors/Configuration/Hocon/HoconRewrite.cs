using System.Text;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Gateway.Configuration.Hocon;

/// <summary>
/// Hands the checked files to Akka's HOCON library: each file's text with its commas written as new lines (the same to
/// HOCON, and what Akka's reader follows in every place), its includes pointing at the files the strict reader already
/// read, and each substitution replaced by its value — so the library never resolves a substitution or opens a file.
/// </summary>
internal static class HoconRewrite
{
    private const string IncludeScheme = "gateway-include:";

    /// <summary>
    /// Parses the documents; <paramref name="replacement"/> gives the text that takes the place of a substitution
    /// (by its number in all documents), or null to take its field or list element away.
    /// </summary>
    public static Config Parse(HoconDocuments documents, Func<int, string?> replacement)
    {
        HoconRoot Document(int id) =>
            Parser.Parse(Text(documents.All[id], replacement), name => Document(int.Parse(name.AsSpan(IncludeScheme.Length), provider: null)));
        try
        {
            return new Config(Document(0));
        }
        catch (Exception e) when (e is not GatewayConfigException)
        {
            throw new GatewayConfigException(documents.All[0].File, GatewayConfigException.SyntaxKey,
                $"the HOCON library refused the file: {ConfigGuard.OneLine(e.Message)}", e);
        }
    }

    public static string Text(HoconDocument document, Func<int, string?> replacement)
    {
        var outline = document.Outline;
        var text = document.Text;
        var edits = new List<(int Start, int End, string Text)>();
        if (text.Length > 0 && text[0] == '\uFEFF') edits.Add((0, 1, ""));
        foreach (var comma in outline.Commas) edits.Add((comma, comma + 1, "\n"));
        for (var i = 0; i < outline.Includes.Count; i++)
        {
            var include = outline.Includes[i];
            var target = document.IncludeTargets[i];
            edits.Add((include.Start, include.End, target < 0 ? "" : $"include \"{IncludeScheme}{target}\""));
        }
        for (var i = 0; i < outline.Substitutions.Count; i++)
        {
            var substitution = outline.Substitutions[i];
            edits.Add(replacement(document.FirstSubstitution + i) is { } value
                ? (substitution.Start, substitution.End, value)
                : (substitution.RemoveStart, substitution.RemoveEnd, ""));
        }
        edits.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.End.CompareTo(a.End));

        var rewritten = new StringBuilder(text.Length + 64);
        var at = 0;
        foreach (var (start, end, value) in edits)
        {
            if (start < at) continue;  // inside a field already taken away
            rewritten.Append(text, at, start - at).Append(value);
            at = end;
        }
        // Akka's reader misreads a comment or a space in the very last character; a new line there is harmless.
        return rewritten.Append(text, at, text.Length - at).Append('\n').ToString();
    }

    /// <summary>A HOCON quoted string holding <paramref name="value"/> exactly.</summary>
    public static string Quote(string value)
    {
        var quoted = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': quoted.Append("\\\""); break;
                case '\\': quoted.Append("\\\\"); break;
                case '\n': quoted.Append("\\n"); break;
                case '\r': quoted.Append("\\r"); break;
                case '\t': quoted.Append("\\t"); break;
                default:
                    if (char.IsControl(c) || c == '\uFEFF') quoted.Append($"\\u{(int)c:X4}");
                    else quoted.Append(c);
                    break;
            }
        }
        return quoted.Append('"').ToString();
    }
}
