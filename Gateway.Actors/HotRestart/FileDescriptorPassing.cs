using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Gateway.HotRestart;

/// <summary>
/// Sends and receives file descriptors over a Unix domain socket (SCM_RIGHTS), so that a successor process gets
/// the very listening sockets of its predecessor: the accept queue is never closed and no connection is lost.
/// </summary>
/// <remarks>Linux glibc layout (x86_64 and arm64). Received descriptors carry FD_CLOEXEC (MSG_CMSG_CLOEXEC), so they
/// never leak into child processes, where a stray copy would keep the port open with nobody accepting.</remarks>
internal static unsafe partial class FileDescriptorPassing
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int MsgNoSignal = 0x4000;
    private const int MsgCtrunc = 0x8;
    private const int MsgCmsgCloexec = 0x40000000;
    private const int Eintr = 4;
    private const int Eagain = 11;
    private const int HeaderSize = 16; // CMSG_ALIGN(sizeof(struct cmsghdr)) on 64-bit glibc

    /// <summary>The most descriptors one message carries.</summary>
    public const int MaxDescriptors = 64;

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint sendmsg(int socket, MessageHeader* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(int socket, MessageHeader* message, int flags);

    private static int Align8(int n) => (n + 7) & ~7;

    /// <summary>Sends <paramref name="data"/> (at least one byte) with <paramref name="descriptors"/> attached.</summary>
    public static void Send(Socket socket, ReadOnlySpan<byte> data, ReadOnlySpan<int> descriptors)
    {
        if (data.IsEmpty) throw new ArgumentException("SCM_RIGHTS needs at least one data byte", nameof(data));
        if (descriptors.Length > MaxDescriptors) throw new ArgumentException($"at most {MaxDescriptors} descriptors", nameof(descriptors));
        var controlLength = descriptors.IsEmpty ? 0 : HeaderSize + Align8(descriptors.Length * sizeof(int));
        var control = stackalloc byte[Math.Max(controlLength, 1)];
        new Span<byte>(control, Math.Max(controlLength, 1)).Clear();
        if (controlLength > 0)
        {
            *(nuint*)control = (nuint)(HeaderSize + descriptors.Length * sizeof(int));
            *(int*)(control + 8) = SolSocket;
            *(int*)(control + 12) = ScmRights;
            descriptors.CopyTo(new Span<int>(control + HeaderSize, descriptors.Length));
        }
        fixed (byte* bytes = data)
        {
            var sent = 0;
            while (sent < data.Length)
            {
                var iov = new IoVec { Base = bytes + sent, Length = (nuint)(data.Length - sent) };
                var header = new MessageHeader
                {
                    Iov = &iov,
                    IovLength = 1,
                    // The descriptors travel with the first byte only.
                    Control = sent == 0 && controlLength > 0 ? control : null,
                    ControlLength = sent == 0 ? (nuint)controlLength : 0,
                };
                var n = sendmsg(Handle(socket), &header, MsgNoSignal);
                if (n >= 0)
                {
                    sent += (int)n;
                    continue;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr) continue;
                if (errno == Eagain)
                {
                    socket.Poll(TimeSpan.FromSeconds(1), SelectMode.SelectWrite);
                    continue;
                }
                throw new SocketException(errno);
            }
        }
    }

    /// <summary>
    /// Receives up to <paramref name="buffer"/>.Length bytes and any descriptors sent with them. Returns 0 bytes when
    /// the peer closed. Blocks (with a poll) until data arrives or <paramref name="timeout"/> passes.
    /// </summary>
    public static (int Bytes, int[] Descriptors) Receive(Socket socket, Span<byte> buffer, TimeSpan timeout)
    {
        var controlLength = HeaderSize + Align8(MaxDescriptors * sizeof(int));
        var control = stackalloc byte[controlLength];
        var deadline = DateTime.UtcNow + timeout;
        fixed (byte* bytes = buffer)
        {
            while (true)
            {
                var iov = new IoVec { Base = bytes, Length = (nuint)buffer.Length };
                var header = new MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = (nuint)controlLength };
                var n = recvmsg(Handle(socket), &header, MsgCmsgCloexec);
                if (n >= 0)
                {
                    if ((header.Flags & MsgCtrunc) != 0)
                        throw new IOException("descriptors were truncated (more than the receive buffer holds)");
                    return ((int)n, ReadDescriptors(control, (int)header.ControlLength));
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr) continue;
                if (errno != Eagain) throw new SocketException(errno);
                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) throw new TimeoutException("no message from the other process in time");
                socket.Poll(left < TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1), SelectMode.SelectRead);
            }
        }
    }

    private static int[] ReadDescriptors(byte* control, int length)
    {
        var descriptors = new List<int>();
        var offset = 0;
        while (offset + HeaderSize <= length)
        {
            var cmsgLength = (int)*(nuint*)(control + offset);
            if (cmsgLength < HeaderSize) break;
            if (*(int*)(control + offset + 8) == SolSocket && *(int*)(control + offset + 12) == ScmRights)
            {
                var count = (cmsgLength - HeaderSize) / sizeof(int);
                for (var i = 0; i < count; i++)
                    descriptors.Add(*(int*)(control + offset + HeaderSize + i * sizeof(int)));
            }
            offset += Align8(cmsgLength);
        }
        return descriptors.ToArray();
    }

    private static int Handle(Socket socket) => (int)socket.SafeHandle.DangerousGetHandle();
}
