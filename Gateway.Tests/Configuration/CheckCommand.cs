using Gateway.Host.Cli;

namespace Gateway.Tests.Configuration;

/// <summary>The <c>check</c> command as the executable runs it, in this process: its exit code and what it wrote.</summary>
internal static class CheckCommand
{
    public static (int Code, string Output, string Error) Run(string path)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = OperatorCommands.Check(path, new CommandOutput(output, error, json: false));
        return (code, output.ToString(), error.ToString());
    }
}
