namespace Gateway.Configuration.Hocon;

/// <summary>Where a key was written: the file (the configuration or one it includes) and the line.</summary>
internal readonly record struct KeyPosition(string File, int Line);

/// <summary>
/// Every key the user's files write, with where it was written last, so an error names the line of the key the user
/// wrote (or of the object it belongs in, for a key that is missing). Filled in the order HOCON reads the files,
/// includes in place; an object given a list or a value later is refused here, because Akka's reader would keep the
/// object and drop the new value without a word.
/// </summary>
internal sealed class KeyPositions
{
    private readonly Dictionary<string, (KeyPosition At, EntryKind Kind)> _keys = new(StringComparer.Ordinal);

    public static KeyPositions Of(HoconDocuments documents)
    {
        var positions = new KeyPositions();
        if (documents.All.Count > 0) positions.Walk(documents, documents.All[0]);
        return positions;
    }

    /// <summary>True when the user's files write <paramref name="key"/> itself.</summary>
    public bool Written(string key) => _keys.ContainsKey(key);

    /// <summary>Where <paramref name="key"/> was written, or else the nearest object holding it that was.</summary>
    public KeyPosition? Find(string key)
    {
        for (string? k = key; k is not null; k = KeyPath.Parent(k))
            if (_keys.TryGetValue(k, out var entry))
                return entry.At;
        return null;
    }

    /// <summary>The first of <paramref name="keys"/> the user wrote (else the first): the one an error about their relation names.</summary>
    public string Blame(params string[] keys) => keys.FirstOrDefault(Written) ?? keys[0];

    private void Walk(HoconDocuments documents, HoconDocument document)
    {
        foreach (var entry in document.Outline.Entries)
        {
            if (entry.Kind == EntryKind.Include)
            {
                if (document.IncludeTargets[entry.IncludeIndex] is var target and >= 0)
                    Walk(documents, documents.All[target]);
                continue;
            }
            var key = document.Prefix.Length == 0 ? entry.Key : $"{document.Prefix}.{entry.Key}";
            var (line, column) = document.Lines.At(entry.Offset);
            var wasObject = _keys.TryGetValue(key, out var before) && before.Kind == EntryKind.Object;
            if (wasObject && entry.Kind is EntryKind.List or EntryKind.Value)
                throw new GatewayConfigException(document.File, key,
                    $"is an object (written at {(before.At.File == document.File ? "" : before.At.File + ":")}line {before.At.Line}) and is given " +
                    $"{(entry.Kind == EntryKind.List ? "a list" : "a value")} here: one of the two would be lost; keep one",
                    line, column);
            var kind = entry.Kind == EntryKind.Substituted && wasObject ? EntryKind.Object : entry.Kind;
            _keys[key] = (new KeyPosition(document.File, line), kind);
        }
    }
}
