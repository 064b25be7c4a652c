namespace Gateway.Configuration;

/// <summary>A configuration the gateway refuses to run: it names the file, the key and the problem.</summary>
public sealed class GatewayConfigException : Exception
{
    public GatewayConfigException(string file, string key, string problem, Exception? inner = null)
        : base($"{file}: {key}: {problem}", inner)
    {
        File = file;
        Key = key;
        Problem = problem;
        Problems = [this];
    }

    /// <summary>Several problems found in one file: the first one speaks for all in <see cref="Exception.Message"/>.</summary>
    public GatewayConfigException(IReadOnlyList<GatewayConfigException> problems)
        : this(problems[0].File, problems[0].Key, problems[0].Problem, problems[0].InnerException)
    {
        Problems = problems.SelectMany(p => p.Problems).ToList();
    }

    /// <summary>Every problem found, each naming its own key (one when the first stopped the reading).</summary>
    public IReadOnlyList<GatewayConfigException> Problems { get; }

    /// <summary>The file that holds the bad value (or the embedded default's name).</summary>
    public string File { get; }

    /// <summary>The full HOCON path of the bad key, e.g. <c>gateway.routes.api.upstream</c>.</summary>
    public string Key { get; }

    /// <summary>What is wrong, in one sentence.</summary>
    public string Problem { get; }
}
