using Xunit;

namespace Gateway.Tests.Support;

/// <summary>
/// A test that drives a program from a Debian package (systemd's tools, tmux, Chromium). On a machine without it the
/// test is skipped and says which apt-get command brings it; .ci/run installs the packages and sets
/// REQUIRE_PACKAGES=1, so that there a missing program fails the test instead of skipping it.
/// </summary>
public class DebianFactAttribute : FactAttribute
{
    public DebianFactAttribute(string packages, params string[] programs)
    {
        Packages = packages;
        if (MissingReason(packages, programs) is { } why && !Required) Skip = why;
    }

    /// <summary>The Debian packages the test needs, as apt-get takes them.</summary>
    public string Packages { get; }

    /// <summary>CI: a missing package is a failure (REQUIRE_BROWSER=1 is the older name of the same switch).</summary>
    public static bool Required =>
        Environment.GetEnvironmentVariable("REQUIRE_PACKAGES") == "1" || Environment.GetEnvironmentVariable("REQUIRE_BROWSER") == "1";

    /// <summary>Why the test cannot run here, or null when every program is installed.</summary>
    public static string? MissingReason(string packages, params string[] programs) =>
        programs.Where(p => !File.Exists(p)).ToList() is { Count: > 0 } missing
            ? $"this test needs {string.Join(" and ", missing)}: apt-get install -y --no-install-recommends {packages}"
            : null;
}

/// <summary>Needs systemd's tools (systemd-analyze, systemd-socket-activate).</summary>
public sealed class SystemdFactAttribute() : DebianFactAttribute("systemd", SystemdAnalyze, SocketActivate)
{
    public const string SystemdAnalyze = "/usr/bin/systemd-analyze";
    public const string SocketActivate = "/usr/bin/systemd-socket-activate";
}

/// <summary>Needs tmux, a real terminal for what the commands draw on one.</summary>
public sealed class TmuxFactAttribute() : DebianFactAttribute("tmux", Tmux)
{
    public const string Tmux = "/usr/bin/tmux";
}
