using System.Text;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Gateway.Configuration.Hocon;

/// <summary>
/// Resolves <c>${path}</c> and <c>${?path}</c> as HOCON says: a key of the configuration (the user's files over the
/// defaults), else an environment variable of that name; <c>${?…}</c> unset leaves its field (or list element) out.
/// Each substitution is first parsed as a placeholder string; the value of the key it names may hold other
/// placeholders, which are resolved first — a substitution met again on that way is a cycle, named, never a
/// recursion without end.
/// </summary>
internal sealed class SubstitutionResolver
{
    private abstract record Resolved;
    private sealed record Text(string Value) : Resolved;
    private sealed record Structured(string Hocon) : Resolved;
    private sealed record Unset : Resolved;

    /// <summary>Depth of the values rendered for a substitution: the strict reader allows no deeper files.</summary>
    private const int MaxRenderDepth = 2 * HoconOutline.MaxDepth;

    private readonly HoconDocuments _documents;
    private readonly List<(HoconDocument Document, OutlineSubstitution Substitution)> _all = [];
    private readonly Resolved?[] _done;
    private readonly List<int> _chain = [];
    private readonly string _marker = $"\u00ABgateway-{Guid.NewGuid():N}:";
    private Config _config = Config.Empty;

    /// <summary>Characters produced for substitutions so far: objects that hold each other twice over grow exponentially.</summary>
    private long _produced;

    /// <summary>What substitutions may produce in all: copies of a few objects and lists, many times over.</summary>
    public const int MaxProduced = 256 * 1024;

    public SubstitutionResolver(HoconDocuments documents)
    {
        _documents = documents;
        foreach (var document in documents.All)
            foreach (var substitution in document.Outline.Substitutions)
                _all.Add((document, substitution));
        _done = new Resolved?[_all.Count];
    }

    /// <summary>What stands for substitution <paramref name="id"/> in the first parse: a string no file holds.</summary>
    public string? Placeholder(int id) => $"\"{_marker}{id}\u00BB\"";

    /// <summary>The configuration, parsed with placeholders and layered over the defaults, that paths are looked up in.</summary>
    public void LookUpIn(Config config) => _config = config;

    /// <summary>The text that takes the place of substitution <paramref name="id"/>, or null to leave its field out.</summary>
    /// <exception cref="GatewayConfigException">It cannot be resolved (unset, a cycle, an object joined with text).</exception>
    public string? Replacement(int id)
    {
        Resolved resolved;
        try
        {
            resolved = Resolve(id);
        }
        finally
        {
            _chain.Clear();  // a refused substitution leaves no half-walked chain for the next one
        }
        var substitution = _all[id].Substitution;
        return resolved switch
        {
            Text text => HoconRewrite.Quote(text.Value),
            Structured when substitution.Role == SubstitutionRole.Piece =>
                throw Error(id, $"${{{substitution.Path}}} is an object or a list and cannot be joined with text"),
            Structured structured => structured.Hocon,
            _ when substitution.Role == SubstitutionRole.Piece => "\"\"",
            _ => null,
        };
    }

    private Resolved Resolve(int id)
    {
        if (_done[id] is { } done) return done;
        var seen = _chain.IndexOf(id);
        if (seen >= 0) throw Cycle(_chain.Skip(seen).ToList());
        _chain.Add(id);
        var (document, substitution) = _all[id];
        Resolved? resolved = LookUp(document, substitution)
            ?? (Environment.GetEnvironmentVariable(substitution.Path) is { } variable ? new Text(variable) : null);
        resolved ??= substitution.Optional ? new Unset() : throw NotSet(id);
        _chain.RemoveAt(_chain.Count - 1);
        return _done[id] = resolved;
    }

    /// <summary>The key the path names: in an included file first relative to where it is included, then from the root.</summary>
    private Resolved? LookUp(HoconDocument document, OutlineSubstitution substitution)
    {
        var paths = document.Prefix.Length == 0 ? [substitution.Path] : new[] { $"{document.Prefix}.{substitution.Path}", substitution.Path };
        foreach (var path in paths)
        {
            HoconValue? value;
            try
            {
                value = _config.GetValue(path);
            }
            catch (Exception)
            {
                value = null;  // a path through a value that is not an object: not a key
            }
            if (value is { Values.Count: > 0 }) return FromValue(value, depth: 0);
        }
        return null;
    }

    private Resolved FromValue(HoconValue value, int depth)
    {
        if (value.GetObject() is not null || value.Values.Any(v => v is HoconArray))
            return new Structured(Render(value, depth) ?? "null");
        var text = value.IsString() ? value.GetString() : null;
        if (text is null) return new Unset();
        return SoleMarker(text) is { } id ? Resolve(id) : new Text(ReplaceMarkers(text));
    }

    /// <summary>Counts <paramref name="text"/> against the budget of all substitutions' values together.</summary>
    private string Produced(string text)
    {
        _produced += text.Length;
        if (_produced > MaxProduced)
            throw new GatewayConfigException(_documents.All[0].File, GatewayConfigException.SyntaxKey,
                $"the substitutions' values come to more than {MaxProduced / 1024} KiB of text (values that hold each other repeat)");
        return text;
    }

    /// <summary>A value as HOCON text, with the substitutions inside it resolved; null when it is left out.</summary>
    private string? Render(HoconValue value, int depth)
    {
        if (depth > MaxRenderDepth)
            throw new GatewayConfigException(_documents.All[0].File, GatewayConfigException.SyntaxKey, "a substitution's value is nested too deep");
        if (value.GetObject() is { } obj)
        {
            var rendered = new StringBuilder("{\n");
            foreach (var (key, item) in obj.Items)
                if (Render(item, depth + 1) is { } text)
                    rendered.Append(HoconRewrite.Quote(key)).Append(" = ").Append(text).Append('\n');
            return Produced(rendered.Append('}').ToString());
        }
        if (value.Values.Any(v => v is HoconArray))
        {
            var rendered = new StringBuilder("[\n");
            foreach (var item in value.GetArray())
                if (Render(item, depth + 1) is { } text)
                    rendered.Append(text).Append('\n');
            return Produced(rendered.Append(']').ToString());
        }
        var scalar = value.IsString() ? value.GetString() : null;
        if (scalar is null) return "null";
        if (SoleMarker(scalar) is not { } id) return HoconRewrite.Quote(ReplaceMarkers(scalar));
        return Resolve(id) switch
        {
            Text text => HoconRewrite.Quote(text.Value),
            Structured structured => structured.Hocon,
            _ => null,
        };
    }

    private int? SoleMarker(string text) =>
        text.StartsWith(_marker, StringComparison.Ordinal) && text.EndsWith('\u00BB')
        && int.TryParse(text.AsSpan(_marker.Length, text.Length - _marker.Length - 1), out var id) ? id : null;

    /// <summary>A string with the placeholders inside it replaced by their values (an unset one adds nothing).</summary>
    private string ReplaceMarkers(string text)
    {
        var at = text.IndexOf(_marker, StringComparison.Ordinal);
        if (at < 0) return text;
        var replaced = new StringBuilder();
        var from = 0;
        while (at >= 0)
        {
            var close = text.IndexOf('\u00BB', at);
            var id = int.Parse(text.AsSpan(at + _marker.Length, close - at - _marker.Length));
            replaced.Append(text, from, at - from);
            replaced.Append(Resolve(id) switch
            {
                Text inner => inner.Value,
                Structured => throw Error(id, $"${{{_all[id].Substitution.Path}}} is an object or a list and cannot be joined with text"),
                _ => "",
            });
            from = close + 1;
            at = text.IndexOf(_marker, from, StringComparison.Ordinal);
        }
        return Produced(replaced.Append(text, from, text.Length - from).ToString());
    }

    private string Holder(int id)
    {
        var (document, substitution) = _all[id];
        return document.Prefix.Length == 0 ? substitution.Holder : $"{document.Prefix}.{substitution.Holder}";
    }

    private GatewayConfigException Error(int id, string problem)
    {
        var (document, substitution) = _all[id];
        return HoconDocuments.Error(document.File, document.Lines, substitution.Start, Holder(id), problem);
    }

    private GatewayConfigException NotSet(int id)
    {
        var path = _all[id].Substitution.Path;
        return Error(id, $"${{{path}}} is not set: there is no key {path} in the configuration and no environment variable {path} " +
            $"(write ${{?{path}}} to leave {Holder(id)} out when it is unset)");
    }

    private GatewayConfigException Cycle(List<int> cycle) => cycle.Count == 1
        ? Error(cycle[0], $"refers to itself through ${{{_all[cycle[0]].Substitution.Path}}}: write its value instead")
        : Error(cycle[0], $"{string.Join(" → ", cycle.Select(id => $"${{{_all[id].Substitution.Path}}}"))} → back to the start: " +
                          "these substitutions refer to each other in a circle");
}
