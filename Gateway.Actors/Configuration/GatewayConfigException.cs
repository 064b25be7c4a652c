namespace Gateway.Configuration;

/// <summary>
/// A configuration the gateway refuses to run: it names the file, the line (when the problem is in text the user
/// wrote), the key and the problem, e.g. <c>/etc/gw.conf:12: gateway.routes.api.upstream: unknown upstream "apx"</c>.
/// </summary>
public sealed class GatewayConfigException : Exception
{
    /// <summary>The <see cref="Key"/> of a problem in the text itself, before any key could be read.</summary>
    public const string SyntaxKey = "(syntax)";

    /// <summary>The <see cref="Key"/> of a problem with the file as a whole (missing, unreadable, too large).</summary>
    public const string FileKey = "(file)";

    public GatewayConfigException(string file, string key, string problem, Exception? inner = null)
        : this(file, key, problem, line: null, column: null, inner)
    {
    }

    public GatewayConfigException(string file, string key, string problem, int? line, int? column = null, Exception? inner = null)
        : base(problem, inner)
    {
        File = file;
        Key = key;
        Problem = problem;
        Line = line;
        Column = column;
        Problems = [this];
    }

    /// <summary>Several problems found in one file: the first one speaks for all in <see cref="Message"/>.</summary>
    public GatewayConfigException(IReadOnlyList<GatewayConfigException> problems)
        : this(problems[0].File, problems[0].Key, problems[0].Problem, problems[0].Line, problems[0].Column, problems[0].InnerException)
    {
        Problems = problems.SelectMany(p => p.Problems).ToList();
    }

    /// <summary>Every problem found, each naming its own key (one when the first stopped the reading).</summary>
    public IReadOnlyList<GatewayConfigException> Problems { get; }

    /// <summary>The file that holds the bad value (an included file when it is there), or the embedded default's name.</summary>
    public string File { get; }

    /// <summary>
    /// The full HOCON path of the bad key as the user wrote it, e.g. <c>gateway.routes.api.upstream</c>, or
    /// <see cref="SyntaxKey"/> / <see cref="FileKey"/>.
    /// </summary>
    public string Key { get; }

    /// <summary>The line (1-based) where the key or the bad text is written, when it is written in a file.</summary>
    public int? Line { get; }

    /// <summary>The column (1-based) of the bad text, for problems found while reading the text.</summary>
    public int? Column { get; }

    /// <summary>What is wrong, in one sentence, and what to write instead.</summary>
    public string Problem { get; }

    /// <summary><c>file[:line[:column]]: [key: ]problem</c>, one line.</summary>
    public override string Message =>
        $"{File}{(Line is { } line ? $":{line}" : "")}{(Line is not null && Column is { } column ? $":{column}" : "")}: " +
        $"{(Key is SyntaxKey or FileKey ? "" : Key + ": ")}{Problem}";
}
