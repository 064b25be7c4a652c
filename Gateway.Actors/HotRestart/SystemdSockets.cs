using System.Net;
using System.Net.Sockets;

namespace Gateway.HotRestart;

/// <summary>
/// systemd socket activation: listening sockets passed as descriptors 3, 4, … (<c>LISTEN_FDS</c>, for
/// <c>LISTEN_PID</c>), named by <c>FileDescriptorName=</c> (<c>LISTEN_FDNAMES</c>). systemd keeps its own copy, so
/// connections queue in the kernel across a restart of the service and none is refused.
/// </summary>
internal static class SystemdSockets
{
    private const int FirstDescriptor = 3;

    /// <summary>The sockets systemd passed to this process, or null when it passed none.</summary>
    public static InheritedListeners? FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable("LISTEN_PID") != Environment.ProcessId.ToString()
            || !int.TryParse(Environment.GetEnvironmentVariable("LISTEN_FDS"), out var count) || count <= 0)
            return null;
        var names = (Environment.GetEnvironmentVariable("LISTEN_FDNAMES") ?? "").Split(':');
        // Not for our children: they would take descriptors that are not theirs.
        foreach (var variable in new[] { "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES" })
            Environment.SetEnvironmentVariable(variable, null);

        var sockets = new Dictionary<string, InheritedSocket>();
        for (var i = 0; i < count; i++)
        {
            var fd = FirstDescriptor + i;
            using var probe = new Socket(new SafeSocketHandle(fd, ownsHandle: false));
            if (probe.LocalEndPoint is not IPEndPoint address) continue;
            var name = i < names.Length && names[i].Length > 0 && names[i] != "unknown" ? names[i] : $"fd{fd}";
            sockets[name] = new InheritedSocket(address, fd);
        }
        return new InheritedListeners(0, sockets);
    }
}
