using static Gateway.Configuration.Hocon.HoconTokenKind;

namespace Gateway.Configuration.Hocon;

/// <summary>What a key is given by one entry of a file.</summary>
internal enum EntryKind
{
    Object,
    List,
    Value,
    /// <summary>A value that is a substitution alone: its kind is known only once it is resolved.</summary>
    Substituted,
    Include,
}

/// <summary>One key written in a file (or an include, at <see cref="IncludeIndex"/>), in the order of the file.</summary>
internal sealed record OutlineEntry(string Key, EntryKind Kind, int Offset, int IncludeIndex = -1);

/// <summary><c>include "file"</c> or <c>include required("file")</c>, inside the object at <see cref="Prefix"/>.</summary>
internal sealed record OutlineInclude(int Start, int End, string Target, bool Required, string Prefix);

/// <summary>How a substitution sits in its value, which decides what an unset <c>${?NAME}</c> leaves behind.</summary>
internal enum SubstitutionRole
{
    /// <summary>The whole value of a field: unset, the field is left out.</summary>
    Whole,
    /// <summary>A whole element of a list: unset, the element is left out.</summary>
    Element,
    /// <summary>Joined with text: unset, it adds nothing.</summary>
    Piece,
}

/// <summary><c>${path}</c> at <see cref="Start"/>…<see cref="End"/>, in the value of <see cref="Holder"/>.</summary>
/// <param name="RemoveStart">With <see cref="RemoveEnd"/>: the text that an unset optional substitution takes away.</param>
internal sealed record OutlineSubstitution(int Start, int End, string Path, bool Optional, string Holder, SubstitutionRole Role, int RemoveStart, int RemoveEnd);

/// <summary>
/// The second half of the strict reader: checks the tokens against HOCON's grammar — every <c>{</c> and <c>[</c>
/// closed by its own bracket, a key before each <c>=</c>, a value after it, fields and list elements apart (new line
/// or one comma), nothing after the root object, nesting no deeper than <see cref="MaxDepth"/> — and notes the keys,
/// includes and substitutions. It builds no values: Akka's HOCON library parses the text once it has passed.
/// </summary>
internal sealed class HoconOutline
{
    /// <summary>Objects, lists and key segments nested in each other; Akka's reader recurses once per level.</summary>
    public const int MaxDepth = 64;

    private readonly List<HoconToken> _tokens;
    private readonly LineMap _lines;
    private int _i;

    private HoconOutline(List<HoconToken> tokens, LineMap lines)
    {
        _tokens = tokens;
        _lines = lines;
    }

    public List<OutlineEntry> Entries { get; } = [];
    public List<OutlineInclude> Includes { get; } = [];
    public List<OutlineSubstitution> Substitutions { get; } = [];

    /// <summary>Offsets of the commas between fields and elements (a new line means the same to HOCON).</summary>
    public List<int> Commas { get; } = [];

    /// <exception cref="HoconSyntaxError">The text is not HOCON the gateway reads.</exception>
    public static HoconOutline Read(string text, LineMap lines)
    {
        var outline = new HoconOutline(HoconLexer.Tokenize(text), lines);
        outline.Root();
        return outline;
    }

    private HoconToken Peek => _tokens[_i];

    /// <summary>The next token; the end stays the end however often it is asked for.</summary>
    private HoconToken Next()
    {
        var token = _tokens[_i];
        if (token.Kind != End) _i++;
        return token;
    }

    private bool SkipNewlines()
    {
        var any = false;
        while (Peek.Kind == Newline)
        {
            _i++;
            any = true;
        }
        return any;
    }

    private HoconSyntaxError Error(HoconToken at, string problem, string? key) => new(at.Start, problem, key is { Length: > 0 } ? key : null);

    private string Line(HoconToken token) => $"line {_lines.Line(token.Start)}";

    private void Root()
    {
        SkipNewlines();
        if (Peek.Kind != OpenBrace)
        {
            Items("", open: null, closer: End, depth: 0, Field);
            return;
        }
        var open = Next();
        Items("", open, CloseBrace, depth: 1, Field);
        SkipNewlines();
        if (Peek.Kind != End)
            throw Error(Peek, $"text after the }} that closes the root object opened at {Line(open)}: remove it (or the }} that ends the root too early)", null);
    }

    /// <summary>
    /// The fields of an object (or the elements of a list) up to <paramref name="closer"/>: each item apart from the
    /// next by new lines or one comma, no comma before the first, at most one after the last.
    /// </summary>
    private void Items(string key, HoconToken? open, HoconTokenKind closer, int depth, Action<string, int> item)
    {
        var started = false;     // an item was read
        var separated = true;    // a new line or comma came since the last item
        var comma = false;       // a comma came since the last item
        while (true)
        {
            if (SkipNewlines()) separated = true;
            var t = Peek;
            if (t.Kind == closer)
            {
                if (closer != End) _i++;
                return;
            }
            switch (t.Kind)
            {
                case End:
                    throw Error(open!.Value, open.Value.Kind == OpenBrace
                        ? "this { is never closed: add a } (the file ends first)"
                        : "this [ is never closed: add a ] (the file ends first)", key);
                case CloseBrace when open is null:
                    throw Error(t, "this } closes nothing: remove it, or add the { it should close", key);
                case CloseBrace:
                    throw Error(t, $"a }} inside the list opened at {Line(open!.Value)}: close the list with ] first", key);
                case CloseBracket when open?.Kind != OpenBracket:
                    throw Error(t, "this ] closes no list: remove it, or add the [ it should close", key);
                case Comma:
                    if (!started) throw Error(t, "a comma with nothing before it: remove it", key);
                    if (comma) throw Error(t, "two commas in a row: remove one", key);
                    Commas.Add(t.Start);
                    comma = separated = true;
                    _i++;
                    continue;
            }
            if (!separated)
                throw Error(t, closer == CloseBracket
                    ? "two values without a comma between them: separate list elements with a comma"
                    : "two fields on one line: put a comma between them or start the next key on a new line", key);
            item(key, depth);
            started = true;
            separated = comma = false;
        }
    }

    private void Field(string path, int depth)
    {
        var t = Peek;
        if (t is { Kind: Unquoted, Text: "include" } && IncludeFollows())
        {
            Include(path);
            return;
        }
        if (t.Kind == TripleQuoted)
            throw Error(t, "a key cannot be a \"\"\" string: write it in single double quotes", path);
        if (t.Kind is not (Quoted or Unquoted))
            throw Error(t, t.Kind switch
            {
                Separator => "a `=` or `:` with no key before it: write key = value",
                OpenBrace => "a { with no key before it: write key { … }",
                OpenBracket => "a list with no key before it: write key = [ … ]",
                Substitution => "a substitution with no key before it: write key = ${NAME}",
                _ => "expected a key here",
            }, path);

        var segments = KeySegments();
        var key = path;
        for (var s = 0; s < segments.Count; s++)
        {
            key = KeyPath.Join(key, segments[s]);
            if (s < segments.Count - 1) Entries.Add(new OutlineEntry(key, EntryKind.Object, t.Start));
        }
        depth += segments.Count;
        if (depth > MaxDepth)
            throw Error(t, $"nested deeper than {MaxDepth} levels: a gateway configuration needs a handful", key);

        var separator = Peek;
        if (separator.Kind == Newline)
        {
            SkipNewlines();
            if (Peek.Kind != OpenBrace)
                throw Error(separator, $"the key `{key}` ends its line: write `= value` (or `{{ … }}`) after it on the same line", key);
        }
        separator = Next();
        switch (separator.Kind)
        {
            case OpenBrace:
                Entries.Add(new OutlineEntry(key, EntryKind.Object, t.Start));
                Items(key, separator, CloseBrace, depth + 1, Field);
                return;
            case Separator:
                Value(key, t.Start, depth, inList: false);
                return;
            case PlusEquals:
                throw Error(separator, "`+=` is not supported: write the whole list, e.g. key = [\"a\", \"b\"]", key);
            default:
                throw Error(separator, $"expected `=`, `:` or `{{` after the key `{key}`", key);
        }
    }

    /// <summary>
    /// The segments of a key: unquoted text split on dots, quoted strings whole, joined without spaces
    /// (<c>a.b</c>, <c>sni."api.example.test"</c>).
    /// </summary>
    private List<string> KeySegments()
    {
        var segments = new List<string>();
        System.Text.StringBuilder? building = null;
        var expectSegment = true;
        var first = Peek;
        var last = first;
        while (Peek.Kind is Quoted or Unquoted && (Peek.Start == first.Start || !Peek.SpaceBefore))
        {
            last = Next();
            if (last.Kind == Quoted)
            {
                if (!expectSegment)
                    throw Error(last, "write a dot between the parts of a key, e.g. a.\"b\"", null);
                if (last.Text.Length == 0)
                    throw Error(last, "an empty key: give it a name", null);
                segments.Add(last.Text);
                expectSegment = false;
                continue;
            }
            foreach (var c in last.Text)
            {
                if (c == '.')
                {
                    if (expectSegment)
                        throw Error(last, "an empty part in a key (a dot at its start or two dots in a row)", null);
                    if (building is not null) segments.Add(building.ToString());
                    building = null;
                    expectSegment = true;
                    continue;
                }
                if (!expectSegment && building is null)
                    throw Error(last, "write a dot between the parts of a key, e.g. \"a\".b", null);
                (building ??= new()).Append(c);
                expectSegment = false;
            }
        }
        if (building is not null) segments.Add(building.ToString());
        else if (expectSegment) throw Error(last, "an empty part in a key (a dot at its end)", null);
        return segments;
    }

    /// <summary>
    /// A value after <c>=</c>: an object, a list, or simple values on one line (joined, as HOCON does). Whatever
    /// follows must end the field: a new line, a comma or the closing bracket.
    /// </summary>
    private void Value(string key, int fieldStart, int depth, bool inList)
    {
        SkipNewlines();
        var first = Peek;
        switch (first.Kind)
        {
            case OpenBrace:
                _i++;
                if (!inList) Entries.Add(new OutlineEntry(key, EntryKind.Object, fieldStart));
                Items(key, first, CloseBrace, depth + 1, Field);
                break;
            case OpenBracket:
                _i++;
                if (!inList) Entries.Add(new OutlineEntry(key, EntryKind.List, fieldStart));
                if (depth + 1 > MaxDepth)
                    throw Error(first, $"nested deeper than {MaxDepth} levels: a gateway configuration needs a handful", key);
                Items(key, first, CloseBracket, depth + 1, (k, d) => Value(k, Peek.Start, d, inList: true));
                break;
            default:
                if (!first.IsSimpleValue)
                    throw Error(first, inList ? "expected a list element here" : $"expected a value after `=` for `{key}`", key);
                var pieces = new List<HoconToken>();
                while (Peek.IsSimpleValue) pieces.Add(Next());
                foreach (var piece in pieces.Where(p => p.Kind == Substitution))
                {
                    var role = pieces.Count > 1 ? SubstitutionRole.Piece : inList ? SubstitutionRole.Element : SubstitutionRole.Whole;
                    Substitutions.Add(new OutlineSubstitution(piece.Start, piece.End, piece.Text, piece.Optional, key, role,
                        role == SubstitutionRole.Whole ? fieldStart : piece.Start, piece.End));
                }
                if (!inList)
                    Entries.Add(new OutlineEntry(key, pieces is [{ Kind: Substitution }] ? EntryKind.Substituted : EntryKind.Value, fieldStart));
                break;
        }
        var after = Peek;
        if (after.Kind is Newline or Comma or CloseBrace or CloseBracket or End) return;
        throw Error(after, after.Kind switch
        {
            Separator => "`=` or `:` inside a value: put the value in double quotes (e.g. \"http://host:port\"), or start the next key on a new line",
            OpenBrace or OpenBracket => "a value joined with an object or a list: an object or list stands alone after `=`",
            _ => "this does not belong to the value before it: start it on a new line",
        }, key);
    }

    private bool IncludeFollows()
    {
        var next = _tokens[_i + 1];
        return next.SpaceBefore && (next.Kind == Quoted
            || next is { Kind: Unquoted } && IncludeForms.Any(f => next.Text.StartsWith(f, StringComparison.Ordinal)));
    }

    private static readonly string[] IncludeForms = ["required(", "file(", "url(", "classpath("];

    /// <summary><c>include "f"</c>, <c>include file("f")</c>, <c>include required("f")</c>, <c>include required(file("f"))</c>.</summary>
    private void Include(string path)
    {
        var start = Next();
        var form = Next();
        if (form.Kind == Quoted)
        {
            Add(form.Text, required: false, form.End);
            return;
        }
        var closing = form.Text switch
        {
            "required(" or "file(" => ")",
            "required(file(" => "))",
            _ => throw Error(form, "only files can be included: write include \"other.conf\" or include required(\"other.conf\")", path),
        };
        var name = Next();
        var close = Next();
        if (name.Kind != Quoted || name.SpaceBefore || close.Kind != Unquoted || close.Text != closing || close.SpaceBefore)
            throw Error(form, $"write {form.Text}\"other.conf\"{closing} (the file name in double quotes, no spaces)", path);
        Add(name.Text, required: form.Text.StartsWith("required", StringComparison.Ordinal), close.End);

        void Add(string target, bool required, int end)
        {
            if (target.Length == 0) throw Error(form, "include needs a file name", path);
            Entries.Add(new OutlineEntry(path, EntryKind.Include, start.Start, Includes.Count));
            Includes.Add(new OutlineInclude(start.Start, end, target, required, path));
        }
    }
}
