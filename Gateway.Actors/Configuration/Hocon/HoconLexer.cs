using System.Text;

namespace Gateway.Configuration.Hocon;

/// <summary>What a <see cref="HoconToken"/> is.</summary>
internal enum HoconTokenKind
{
    Newline,
    OpenBrace,
    CloseBrace,
    OpenBracket,
    CloseBracket,
    Comma,
    /// <summary><c>=</c> or <c>:</c>.</summary>
    Separator,
    PlusEquals,
    Quoted,
    TripleQuoted,
    Unquoted,
    Substitution,
    End,
}

/// <summary>
/// One token: its span in the text, whether spaces or tabs came right before it, and its text (a string unescaped,
/// unquoted text as written, a substitution's path).
/// </summary>
internal readonly record struct HoconToken(HoconTokenKind Kind, int Start, int End, bool SpaceBefore, string Text = "", bool Optional = false)
{
    public bool IsSimpleValue => Kind is HoconTokenKind.Quoted or HoconTokenKind.TripleQuoted or HoconTokenKind.Unquoted or HoconTokenKind.Substitution;
}

/// <summary>Text the strict reader refuses, at <see cref="Offset"/>; <see cref="Key"/> is the key it belongs to, when known.</summary>
internal sealed class HoconSyntaxError(int offset, string problem, string? key = null) : Exception(problem)
{
    public int Offset { get; } = offset;
    public string Problem { get; } = problem;
    public string? Key { get; } = key;
}

/// <summary>
/// The first half of the strict reader: turns HOCON text into tokens, and refuses what Akka's HOCON library would
/// read wrongly or never finish: unterminated strings, control bytes, characters HOCON keeps for itself outside quotes,
/// a lone carriage return, unusual spaces. Comments (<c>#</c>, <c>//</c>) end at the line's end and give no token.
/// </summary>
internal static class HoconLexer
{
    /// <summary>Characters that HOCON does not allow in unquoted text (besides whitespace and <c>//</c>).</summary>
    private const string Reserved = "$\"{}[]:=,#`^?!@*&\\+";

    public static List<HoconToken> Tokenize(string text)
    {
        var tokens = new List<HoconToken>();
        var i = text.Length > 0 && text[0] == '\uFEFF' ? 1 : 0;  // a byte order mark at the start is no content
        var space = false;
        void Add(HoconTokenKind kind, int start, int end, string value = "", bool optional = false)
        {
            tokens.Add(new HoconToken(kind, start, end, space, value, optional));
            space = false;
        }

        while (i < text.Length)
        {
            var c = text[i];
            switch (c)
            {
                case ' ' or '\t':
                    space = true;
                    i++;
                    continue;
                case '\r':
                    if (i + 1 < text.Length && text[i + 1] == '\n')
                    {
                        i++;
                        continue;
                    }
                    throw new HoconSyntaxError(i, "a carriage return without a line feed: save the file with \\n or \\r\\n line ends");
                case '\n':
                    Add(HoconTokenKind.Newline, i, i + 1);
                    i++;
                    continue;
                case '#':
                    i = SkipComment(text, i);
                    continue;
                case '/' when i + 1 < text.Length && text[i + 1] == '/':
                    i = SkipComment(text, i);
                    continue;
                case '{': Add(HoconTokenKind.OpenBrace, i, ++i); continue;
                case '}': Add(HoconTokenKind.CloseBrace, i, ++i); continue;
                case '[': Add(HoconTokenKind.OpenBracket, i, ++i); continue;
                case ']': Add(HoconTokenKind.CloseBracket, i, ++i); continue;
                case ',': Add(HoconTokenKind.Comma, i, ++i); continue;
                case '=' or ':': Add(HoconTokenKind.Separator, i, ++i); continue;
                case '+':
                    if (i + 1 < text.Length && text[i + 1] == '=')
                    {
                        Add(HoconTokenKind.PlusEquals, i, i + 2);
                        i += 2;
                        continue;
                    }
                    throw Unquotable(i, c);
                case '"':
                    if (string.CompareOrdinal(text, i, "\"\"\"", 0, 3) == 0)
                    {
                        var (end, value) = ReadTripleQuoted(text, i);
                        Add(HoconTokenKind.TripleQuoted, i, end, value);
                        i = end;
                    }
                    else
                    {
                        var (end, value) = ReadQuoted(text, i);
                        Add(HoconTokenKind.Quoted, i, end, value);
                        i = end;
                    }
                    continue;
                case '$':
                    if (i + 1 < text.Length && text[i + 1] == '{')
                    {
                        var (end, path, optional) = ReadSubstitution(text, i);
                        Add(HoconTokenKind.Substitution, i, end, path, optional);
                        i = end;
                        continue;
                    }
                    throw new HoconSyntaxError(i, "a `$` outside quotes: write ${NAME} for a substitution, or quote the value");
                default:
                    CheckPlain(text, i);
                    if (Reserved.Contains(c))
                        throw Unquotable(i, c);
                    var start = i;
                    while (i < text.Length && IsUnquoted(text, i)) i++;
                    Add(HoconTokenKind.Unquoted, start, i, text[start..i]);
                    continue;
            }
        }
        Add(HoconTokenKind.End, text.Length, text.Length);
        return tokens;
    }

    private static bool IsUnquoted(string text, int i)
    {
        var c = text[i];
        if (char.IsWhiteSpace(c) || char.IsControl(c) || c == '\uFEFF' || Reserved.Contains(c)) return false;
        return !(c == '/' && i + 1 < text.Length && text[i + 1] == '/');
    }

    /// <summary>Refuses what may not stand outside quotes: control bytes, unusual spaces, a stray byte order mark.</summary>
    private static void CheckPlain(string text, int i)
    {
        var c = text[i];
        if (char.IsControl(c))
            throw new HoconSyntaxError(i, $"a control character ({Hex(c)}) in the text: remove it (inside a quoted string, write it as \\u{(int)c:X4})");
        if (c == '\uFEFF')
            throw new HoconSyntaxError(i, "a byte order mark (U+FEFF) inside the text: remove it");
        if (char.IsWhiteSpace(c))
            throw new HoconSyntaxError(i, $"an unusual space character ({Hex(c)}) outside quotes: use a plain space");
    }

    private static HoconSyntaxError Unquotable(int i, char c) =>
        new(i, $"`{c}` cannot be written outside quotes: put the whole value (or key) in double quotes, e.g. \"a{c}b\"");

    private static string Hex(char c) => $"U+{(int)c:X4}";

    private static int SkipComment(string text, int i)
    {
        while (i < text.Length && text[i] != '\n')
        {
            var c = text[i];
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') return i + 1;
            if (char.IsControl(c) && c != '\t')
                throw new HoconSyntaxError(i, $"a control character ({Hex(c)}) in a comment: remove it");
            i++;
        }
        return i;
    }

    /// <summary>A <c>"…"</c> string: it ends on its own line, its escapes are JSON's.</summary>
    private static (int End, string Value) ReadQuoted(string text, int start)
    {
        var value = new StringBuilder();
        var i = start + 1;
        while (true)
        {
            if (i >= text.Length || text[i] == '\n' || text[i] == '\r')
                throw new HoconSyntaxError(start, "this string is never closed: a quoted string ends with \" on the same line (use \"\"\" … \"\"\" for text over several lines)");
            var c = text[i];
            if (c == '"') return (i + 1, value.ToString());
            if (c == '\\')
            {
                i = ReadEscape(text, i, value);
                continue;
            }
            if (char.IsControl(c) && c != '\t')
                throw new HoconSyntaxError(i, $"a control character ({Hex(c)}) inside a string: write it as \\u{(int)c:X4}");
            value.Append(c);
            i++;
        }
    }

    private static int ReadEscape(string text, int i, StringBuilder value)
    {
        var code = i + 1 < text.Length ? text[i + 1] : '\0';
        switch (code)
        {
            case '"': value.Append('"'); return i + 2;
            case '\\': value.Append('\\'); return i + 2;
            case '/': value.Append('/'); return i + 2;
            case 'b': value.Append('\b'); return i + 2;
            case 'f': value.Append('\f'); return i + 2;
            case 'n': value.Append('\n'); return i + 2;
            case 'r': value.Append('\r'); return i + 2;
            case 't': value.Append('\t'); return i + 2;
            case 'u':
                if (i + 6 <= text.Length && int.TryParse(text.AsSpan(i + 2, 4), System.Globalization.NumberStyles.AllowHexSpecifier, null, out var unit))
                {
                    value.Append((char)unit);
                    return i + 6;
                }
                throw new HoconSyntaxError(i, "\\u must be followed by four hex digits, e.g. \\u00e9");
            default:
                throw new HoconSyntaxError(i, "an unknown escape: inside quotes a backslash starts \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX (write \\\\ for a backslash)");
        }
    }

    /// <summary>A <c>"""…"""</c> string, raw, over any number of lines; like Akka's reader, the first <c>"""</c> ends it.</summary>
    private static (int End, string Value) ReadTripleQuoted(string text, int start)
    {
        var close = text.IndexOf("\"\"\"", start + 3, StringComparison.Ordinal);
        if (close < 0)
            throw new HoconSyntaxError(start, "this \"\"\" string is never closed: end it with \"\"\"");
        for (var i = start + 3; i < close; i++)
            if (char.IsControl(text[i]) && text[i] is not ('\t' or '\n' or '\r'))
                throw new HoconSyntaxError(i, $"a control character ({Hex(text[i])}) inside a string: remove it, or use a quoted string and write it as \\u{(int)text[i]:X4}");
        var end = close + 3;
        if (end < text.Length && text[end] == '"')
            throw new HoconSyntaxError(end, "a quote right after the closing \"\"\": a \"\"\" string cannot end in a quote; move it inside or remove it");
        return (end, text[(start + 3)..close]);
    }

    /// <summary><c>${path}</c> or <c>${?path}</c>: a path of unquoted key segments joined by dots.</summary>
    private static (int End, string Path, bool Optional) ReadSubstitution(string text, int start)
    {
        var i = start + 2;
        var optional = i < text.Length && text[i] == '?';
        if (optional) i++;
        var pathStart = i;
        while (i < text.Length && text[i] != '}' && IsUnquoted(text, i)) i++;
        if (i >= text.Length || text[i] != '}')
            throw new HoconSyntaxError(start, "this substitution is never closed: write ${NAME} or ${?NAME} (a key path or an environment variable)");
        var path = text[pathStart..i];
        if (path.Length == 0 || path.Split('.').Any(s => s.Length == 0))
            throw new HoconSyntaxError(start, "a substitution needs a name: write ${NAME} or ${?NAME} (a key path such as gateway.admin.token, or an environment variable)");
        return (i + 1, path, optional);
    }
}
