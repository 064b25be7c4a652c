using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.Listeners;

/// <summary>
/// The kernel's accept queue of a listening socket. Closing a listener resets every connection still queued there —
/// clients that completed the handshake and already sent a request. Before closing, the gateway refuses new
/// handshakes (a socket filter drops bare SYNs; the client retries and then finds the port closed, which is safe to
/// retry), waits one round trip for handshakes under way, and accepts and serves what is queued.
/// </summary>
internal static partial class ListenQueue
{
    /// <summary>How long a handshake already answered with SYN-ACK may take to land in the queue (loopback and LAN).</summary>
    internal static readonly TimeSpan HandshakeSettle = TimeSpan.FromMilliseconds(20);

    private const int SolSocket = 1;
    private const int SoAttachFilter = 26;
    private const int SoDetachFilter = 27;

    // Classic BPF on a TCP listener sees the segment from its TCP header: byte 13 holds the flags.
    // Drop SYN without ACK (a new handshake); pass everything else (the ACK that completes one under way).
    private static readonly SockFilter[] RefuseNewHandshakes =
    [
        new(0x30, 0, 0, 13),          // ldb [13]
        new(0x54, 0, 0, 0x12),        // and #(SYN|ACK)
        new(0x15, 0, 1, 0x02),        // jeq #SYN → drop, else accept
        new(0x06, 0, 0, 0),           // ret #0 (drop)
        new(0x06, 0, 0, 0xFFFFFFFF),  // ret #all (accept)
    ];

    /// <summary>Makes the kernel drop new connection attempts on this listener; false where that is not supported.</summary>
    internal static bool StopHandshakes(Socket listener)
    {
        if (!OperatingSystem.IsLinux()) return false;
        var filter = GCHandle.Alloc(RefuseNewHandshakes, GCHandleType.Pinned);
        try
        {
            var program = new SockFprog((ushort)RefuseNewHandshakes.Length, filter.AddrOfPinnedObject());
            return SetSockOpt((int)listener.SafeHandle.DangerousGetHandle(), SolSocket, SoAttachFilter, ref program, Marshal.SizeOf<SockFprog>()) == 0;
        }
        finally
        {
            filter.Free();
        }
    }

    /// <summary>Lets new handshakes in again (a kept socket accepts again, or one taken over from a generation that was stopping).</summary>
    internal static void AllowHandshakes(Socket listener)
    {
        if (!OperatingSystem.IsLinux()) return;
        var none = 0;
        // ENOENT when no filter is attached: nothing to undo.
        _ = SetSockOpt((int)listener.SafeHandle.DangerousGetHandle(), SolSocket, SoDetachFilter, ref none, sizeof(int));
    }

    /// <summary>Accepts without waiting: null once the queue is empty (new handshakes are refused by then).</summary>
    internal static Socket? TryAcceptQueued(Socket listener)
    {
        while (true)
        {
            try
            {
                listener.Blocking = false;
                return listener.Accept();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionAborted)
            {
                // Reset while queued: that connection is gone, the next may not be.
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return null;
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct SockFilter(ushort Code, byte JumpTrue, byte JumpFalse, uint K);

    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct SockFprog(ushort Length, IntPtr Filter);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int socket, int level, int option, ref SockFprog value, int length);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    private static partial int SetSockOpt(int socket, int level, int option, ref int value, int length);
}
