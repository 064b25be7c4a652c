namespace Gateway.Host.Cli;

/// <summary>What the command line asked for.</summary>
internal sealed record CommandLineOptions(string? ConfigPath, bool HotRestart, bool Help);

/// <summary>Parses <c>[--config FILE] [--help]</c>; a mistake is reported on stderr and answered with null.</summary>
internal static class CommandLine
{
    public const string Usage = """
        Usage: Gateway.Host [--config FILE] [--hot-restart]

        Runs the gateway. Without --config it runs the embedded default (hocon/gateway.conf):
        a welcome page on http://127.0.0.1:8080 and the admin API on http://127.0.0.1:15000.

          --config FILE   HOCON file layered over the defaults (hocon/reference.conf)
          --hot-restart   take over the listening sockets of the gateway running with the same config
                          (its control socket, gateway.hot-restart.socket); it drains once this one is ready
          --help          this text

        SIGTERM or SIGINT drains and exits 0; a second one forces the drain at once.
        Exit code 2: the configuration or the command line is invalid (the message names file, key and problem).

        """;

    public static CommandLineOptions? Parse(string[] args, TextWriter error)
    {
        string? config = null;
        var help = false;
        var hotRestart = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--config" or "-c" when i + 1 < args.Length:
                    config = args[++i];
                    break;
                case "--hot-restart":
                    hotRestart = true;
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                default:
                    var arg = args[i];
                    if (arg.StartsWith("--config=", StringComparison.Ordinal))
                    {
                        config = arg["--config=".Length..];
                        break;
                    }
                    error.WriteLine(arg is "--config" or "-c"
                        ? "gateway: --config needs a file"
                        : $"gateway: unknown argument '{arg}' (try --help)");
                    return null;
            }
        }
        return new CommandLineOptions(config, hotRestart, help);
    }
}
