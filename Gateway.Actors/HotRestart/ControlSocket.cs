using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.HotRestart;

/// <summary>The Unix socket file at <c>gateway.hot-restart.socket</c>: who may connect, and whether someone listens.</summary>
internal static partial class ControlSocket
{
    [LibraryImport("libc")]
    private static partial uint geteuid();

    /// <summary>Connects to a running gateway; null when nobody listens at <paramref name="path"/>.</summary>
    public static Socket? TryConnect(string path)
    {
        if (!File.Exists(path)) return null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Listens at <paramref name="path"/> with mode 0600 (whoever connects gets the listening sockets). A stale file
    /// left by a dead process is replaced; a live one is not, and null is returned.
    /// </summary>
    public static Socket? Listen(string path)
    {
        if (File.Exists(path))
        {
            using var live = TryConnect(path);
            if (live is not null) return null;
            File.Delete(path);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(new UnixDomainSocketEndPoint(path));
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            socket.Listen(4);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>True when the peer runs as the same user as this process (SO_PEERCRED), as the file mode intends.</summary>
    public static bool PeerIsSameUser(Socket peer)
    {
        Span<byte> credentials = stackalloc byte[12]; // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var length = peer.GetRawSocketOption(1 /* SOL_SOCKET */, 17 /* SO_PEERCRED */, credentials);
        return length >= 8 && BitConverter.ToUInt32(credentials[4..8]) == geteuid();
    }
}
