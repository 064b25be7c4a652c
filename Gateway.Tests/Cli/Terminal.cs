using System.Diagnostics;
using Gateway.Tests.Support;

namespace Gateway.Tests.Cli;

/// <summary>A real terminal (a detached tmux session) for what the commands draw on one.</summary>
internal sealed class Terminal : IAsyncDisposable
{
    private readonly string _session = $"gateway-{Guid.NewGuid():N}"[..20];

    private Terminal()
    {
    }

    /// <summary>Runs <paramref name="command"/> (a shell line) in a new 160×20 terminal.</summary>
    public static async Task<Terminal> StartAsync(string command)
    {
        var terminal = new Terminal();
        await Tmux("new-session", "-d", "-s", terminal._session, "-x", "160", "-y", "20", command);
        return terminal;
    }

    /// <summary>What the terminal shows now.</summary>
    public Task<string> ScreenAsync() => Tmux("capture-pane", "-p", "-t", _session);

    public async ValueTask DisposeAsync() => await Tmux("kill-session", "-t", _session);

    private static async Task<string> Tmux(params string[] args)
    {
        var info = new ProcessStartInfo(TmuxFactAttribute.Tmux) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var text = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return text;
    }
}
