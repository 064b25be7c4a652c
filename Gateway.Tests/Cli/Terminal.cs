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
        // The pane stays when its command ends, so that what it drew and how it ended can still be read.
        await Tmux("new-session", "-d", "-s", terminal._session, "-x", "160", "-y", "20", command, ";",
            "set-option", "-t", terminal._session, "remain-on-exit", "on");
        return terminal;
    }

    /// <summary>Types <paramref name="keys"/> (tmux key names, e.g. <c>C-c</c>).</summary>
    public Task SendKeysAsync(string keys) => Tmux("send-keys", "-t", _session, keys);

    /// <summary>Null while the command runs; then how it ended: "exit N" or "signal N" (as far as tmux knows).</summary>
    public async Task<string?> EndedAsync()
    {
        var pane = (await Tmux("list-panes", "-t", _session, "-F", "#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}")).Trim().Split('|');
        return pane[0] != "1" ? null : pane[2].Length > 0 ? $"signal {pane[2]}" : $"exit {pane[1]}";
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
