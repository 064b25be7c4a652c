using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.HotRestart;

/// <summary>
/// The conversation on the control socket, one text line per message:
/// <code>
/// new → old   HELLO
/// old → new   LISTENERS &lt;generation&gt; name=address …   (the listening sockets attached, in that order)
///             or REFUSED &lt;why&gt;                         (it cannot hand over now; it goes on as it was)
/// new → old   READY name,name…                         (the listeners it serves; "-" for none)
/// old → new   DRAINING                                 (the old process released the control path and drains)
/// </code>
/// Whatever goes wrong before READY leaves the old process serving as if nothing had happened.
/// </summary>
internal static class HandoffProtocol
{
    public const string Hello = "HELLO";
    public const string Listeners = "LISTENERS";
    public const string Ready = "READY";
    public const string Draining = "DRAINING";
    public const string Refused = "REFUSED";

    /// <summary>How long either side waits for the other's next line.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(60);

    public static void SendLine(Socket socket, string line, ReadOnlySpan<int> descriptors = default) =>
        FileDescriptorPassing.Send(socket, Encoding.UTF8.GetBytes(line + "\n"), descriptors);

    /// <summary>Reads one line and the descriptors that came with it; null when the peer closed first.</summary>
    public static (string Line, int[] Descriptors)? ReadLine(Socket socket, TimeSpan timeout)
    {
        var text = new StringBuilder();
        var descriptors = new List<int>();
        var buffer = new byte[4096];
        while (true)
        {
            var (n, received) = FileDescriptorPassing.Receive(socket, buffer, timeout);
            descriptors.AddRange(received);
            if (n == 0)
            {
                foreach (var fd in descriptors) CloseDescriptor(fd);
                return null;
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            var value = text.ToString();
            if (value.EndsWith('\n'))
                return (value.TrimEnd('\n'), descriptors.ToArray());
        }
    }

    public static string FormatListeners(int generation, IEnumerable<(string Name, IPEndPoint Address)> listeners) =>
        $"{Listeners} {generation} " + string.Join(' ', listeners.Select(l => $"{l.Name}={l.Address}"));

    /// <summary>Parses a LISTENERS line; the descriptors pair with the names in order.</summary>
    public static InheritedListeners ParseListeners(string line, int[] descriptors)
    {
        if (line.StartsWith(Refused + " ", StringComparison.Ordinal))
            throw new IOException($"the running gateway refused: {line[(Refused.Length + 1)..]}");
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || parts[0] != Listeners || !int.TryParse(parts[1], out var generation))
            throw new IOException($"unexpected answer from the running gateway: '{line}'");
        var entries = parts.Skip(2).ToArray();
        if (entries.Length != descriptors.Length)
            throw new IOException($"the running gateway named {entries.Length} listeners but sent {descriptors.Length} sockets");
        var sockets = new Dictionary<string, InheritedSocket>();
        for (var i = 0; i < entries.Length; i++)
        {
            var split = entries[i].IndexOf('=');
            sockets[entries[i][..split]] = new InheritedSocket(IPEndPoint.Parse(entries[i][(split + 1)..]), descriptors[i]);
        }
        return new InheritedListeners(generation, sockets);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "close", SetLastError = true)]
    private static extern int CloseFd(int fd);

    /// <summary>Closes a received descriptor that nobody will use (our copy only; the sender keeps its own).</summary>
    public static void CloseDescriptor(int fd) => CloseFd(fd);
}

/// <summary>A listening socket received from the previous generation.</summary>
internal sealed record InheritedSocket(IPEndPoint Address, int Descriptor);

/// <summary>What the previous generation handed over: its generation number and its listening sockets by name.</summary>
internal sealed record InheritedListeners(int Generation, IReadOnlyDictionary<string, InheritedSocket> Sockets);
