namespace Gateway.Configuration.Hocon;

/// <summary>
/// One file as it takes part in the configuration: its text and outline, the key path it is included at, and the
/// document each of its includes became (-1: an optional include whose file does not exist).
/// </summary>
internal sealed record HoconDocument(int Id, string File, string Text, LineMap Lines, HoconOutline Outline, string Prefix, int[] IncludeTargets, int FirstSubstitution);

/// <summary>
/// The configuration file and every file it includes (relative to the including file's folder), each checked by the
/// strict reader, within bounds: no include cycle, at most <see cref="MaxDocuments"/> files, <see cref="MaxDepth"/>
/// includes deep and <see cref="MaxChars"/> characters in all.
/// </summary>
internal sealed class HoconDocuments
{
    public const int MaxDocuments = 32;
    public const int MaxDepth = 8;
    public const int MaxChars = 2 * ConfigFile.MaxBytes;

    /// <summary>Substitutions in all files together: each is resolved once, so this bounds the work.</summary>
    public const int MaxSubstitutions = 512;

    private int _chars;

    public List<HoconDocument> All { get; } = [];

    /// <summary>What the reading noticed without refusing it (an optional include that does not exist).</summary>
    public List<string> Notes { get; } = [];

    public int SubstitutionCount { get; private set; }

    /// <exception cref="GatewayConfigException">A file is not HOCON the gateway reads, or an include cannot be followed.</exception>
    public static HoconDocuments Load(string text, string file, string folder)
    {
        var documents = new HoconDocuments();
        documents.Add(text, file, folder, prefix: "", chain: [file]);
        return documents;
    }

    public static GatewayConfigException Error(string file, LineMap lines, int offset, string? key, string problem)
    {
        var (line, column) = lines.At(offset);
        return new GatewayConfigException(file, key ?? GatewayConfigException.SyntaxKey, problem, line, column);
    }

    private static string Prefixed(string prefix, string? key) =>
        string.IsNullOrEmpty(key) ? prefix : prefix.Length == 0 ? key : $"{prefix}.{key}";

    private int Add(string text, string file, string folder, string prefix, List<string> chain)
    {
        _chars += text.Length;
        if (_chars > MaxChars)
            throw new GatewayConfigException(file, GatewayConfigException.FileKey, $"the configuration and its includes hold more than {MaxChars / 1024 / 1024} MiB of text");
        var lines = new LineMap(text);
        HoconOutline outline;
        try
        {
            outline = HoconOutline.Read(text, lines);
        }
        catch (HoconSyntaxError e)
        {
            var key = Prefixed(prefix, e.Key);
            throw Error(file, lines, e.Offset, key.Length == 0 ? null : key, e.Problem);
        }
        var id = All.Count;
        var targets = new int[outline.Includes.Count];
        All.Add(new HoconDocument(id, file, text, lines, outline, prefix, targets, SubstitutionCount));
        SubstitutionCount += outline.Substitutions.Count;
        if (SubstitutionCount > MaxSubstitutions)
            throw Error(file, lines, outline.Substitutions[^1].Start, null, $"more than {MaxSubstitutions} substitutions in the configuration and its includes");

        for (var i = 0; i < outline.Includes.Count; i++)
        {
            var include = outline.Includes[i];
            var at = Prefixed(prefix, include.Prefix);
            GatewayConfigException Refused(string problem) => Error(file, lines, include.Start, at.Length == 0 ? null : at, problem);
            var written = include.Required ? $"include required(\"{include.Target}\")" : $"include \"{include.Target}\"";
            var path = Path.GetFullPath(include.Target, folder);
            if (chain.Contains(path))
                throw Refused($"{written}: {path} includes itself{(chain.Count > 1 ? $" (through {string.Join(" → ", chain.Skip(chain.IndexOf(path) + 1).Select(Path.GetFileName))})" : "")}");
            if (chain.Count > MaxDepth)
                throw Refused($"{written}: includes nested more than {MaxDepth} deep");
            if (All.Count >= MaxDocuments)
                throw Refused($"{written}: more than {MaxDocuments} files included in all");
            if (!include.Required && !File.Exists(path) && !Directory.Exists(path))
            {
                targets[i] = -1;
                var line = lines.Line(include.Start);
                Notes.Add($"{file}:{line}: {written}: {path} does not exist and is skipped (write include required(\"{include.Target}\") to refuse the file without it)");
                continue;
            }
            string included;
            try
            {
                included = ConfigFile.Read(path);
            }
            catch (GatewayConfigException e) when (e.Line is null)
            {
                throw Refused($"{written}: {path}: {e.Problem}");
            }
            targets[i] = Add(included, path, Path.GetDirectoryName(path) ?? folder, at, [.. chain, path]);
        }
        return id;
    }
}
