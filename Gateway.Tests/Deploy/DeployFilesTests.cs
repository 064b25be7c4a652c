using System.Diagnostics;
using System.Text.RegularExpressions;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Deploy;

/// <summary>The shipped deployment files are valid and keep the drain inside the orchestrator's grace period.</summary>
public sealed partial class DeployFilesTests
{
    internal static string Repo([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));

    /// <summary>Where the units, the container recipe and the README install the published launcher.</summary>
    internal const string Launcher = "/opt/gateway/gateway";

    [SystemdFact]
    public async Task Systemd_units_pass_systemd_analyze_verify()
    {
        const string analyze = SystemdFactAttribute.SystemdAnalyze;
        Assert.True(File.Exists(analyze), $"{analyze} is missing: apt-get install systemd");
        var folder = Directory.CreateTempSubdirectory("gateway-units").FullName;
        foreach (var unit in new[] { "gateway.service", "gateway.socket" })
            File.Copy(Path.Combine(Repo(), "deploy", "systemd", unit), Path.Combine(folder, unit));
        // The unit runs the installed launcher; verify checks that it is executable, so it is pointed at the built one.
        var service = Path.Combine(folder, "gateway.service");
        var text = File.ReadAllText(service);
        Assert.Contains($"ExecStart={Launcher} --config /etc/gateway/gateway.conf", text);
        File.WriteAllText(service, text.Replace($"ExecStart={Launcher} ", $"ExecStart={Path.Combine(AppContext.BaseDirectory, "Gateway.Host")} "));

        var info = new ProcessStartInfo(analyze) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "verify", "--man=no", Path.Combine(folder, "gateway.socket"), Path.Combine(folder, "gateway.service") })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, errors);
        Assert.DoesNotContain("Unknown", errors);
    }

    [Fact]
    public void Systemd_stop_timeout_exceeds_the_default_drain_deadline()
    {
        var unit = File.ReadAllText(Path.Combine(Repo(), "deploy", "systemd", "gateway.service"));
        var reference = File.ReadAllText(Path.Combine(Repo(), "hocon", "reference.conf"));
        Assert.True(Seconds(StopTimeout(), unit) > Seconds(Deadline(), reference));
    }

    [Fact]
    public void Kubernetes_grace_period_exceeds_the_configured_drain_deadline()
    {
        var manifest = File.ReadAllText(Path.Combine(Repo(), "deploy", "kubernetes", "gateway.yaml"));
        var grace = Seconds(GracePeriod(), manifest);
        var deadline = Seconds(Deadline(), manifest);
        Assert.True(grace > deadline, $"terminationGracePeriodSeconds {grace} must exceed drain.deadline {deadline}");
        Assert.Contains("path: /ready", manifest);
    }

    [Fact]
    public void The_Kubernetes_gateway_conf_is_a_valid_configuration()
    {
        var settings = KubernetesConfig(File.ReadAllText(Path.Combine(Repo(), "deploy", "kubernetes", "gateway.yaml")));
        Assert.Equal("public", settings.Listeners.Single().Name);
        Assert.NotNull(settings.Admin.Token);
    }

    /// <summary>The gateway.conf of the manifest's ConfigMap, parsed and validated.</summary>
    internal static Gateway.Configuration.GatewaySettings KubernetesConfig(string manifest)
    {
        var lines = manifest.Split('\n');
        var start = Array.FindIndex(lines, l => l.Contains("gateway.conf: |"));
        var body = lines.Skip(start + 1).TakeWhile(l => l.StartsWith("    ", StringComparison.Ordinal) || l.Length == 0);
        return Gateway.Configuration.GatewayConfigLoader.Parse(string.Join('\n', body), "gateway.yaml");
    }

    private static int Seconds(Regex pattern, string text) => int.Parse(pattern.Match(text) is { Success: true } m
        ? m.Groups[1].Value
        : throw new Xunit.Sdk.XunitException($"/{pattern}/ not found"));

    [GeneratedRegex(@"TimeoutStopSec=(\d+)")]
    private static partial Regex StopTimeout();

    [GeneratedRegex(@"deadline = (\d+)s")]
    private static partial Regex Deadline();

    [GeneratedRegex(@"terminationGracePeriodSeconds: (\d+)")]
    private static partial Regex GracePeriod();
}
