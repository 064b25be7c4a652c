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
    }

    /// <summary>The file that holds the bad value (or the embedded default's name).</summary>
    public string File { get; }

    /// <summary>The full HOCON path of the bad key, e.g. <c>gateway.routes.api.upstream</c>.</summary>
    public string Key { get; }

    /// <summary>What is wrong, in one sentence.</summary>
    public string Problem { get; }
}
