using System.Net;
using System.Net.Sockets;
using Gateway.Listeners;

namespace Gateway.HotRestart;

/// <summary>
/// The listening sockets this process was given — by its predecessor in a hot restart, or by systemd — and which
/// listener takes which: the one of its name at a matching address (port 0 in the config takes whatever port the
/// socket has), else an unnamed socket (systemd without <c>FileDescriptorName=</c>) at exactly its address.
/// </summary>
internal sealed class SocketAdoption(InheritedListeners inherited, TimeProvider time)
{
    private readonly List<string> _adopted = [];

    /// <summary>The generation that passed the sockets: 0 for systemd.</summary>
    public int Generation => inherited.Generation;

    /// <summary>The names of the sockets taken so far.</summary>
    public IReadOnlyList<string> Adopted => _adopted;

    /// <summary>The listener's socket when one was passed for it; null: it is to be bound.</summary>
    public ListenerHandle? TryAdopt(string name, IPEndPoint address)
    {
        var match = inherited.Sockets.FirstOrDefault(s =>
            !_adopted.Contains(s.Key)
            && (s.Key == name && (address.Port == 0 ? address.Address.Equals(s.Value.Address.Address) : address.Equals(s.Value.Address))
                || address.Port != 0 && address.Equals(s.Value.Address)));
        if (match is not { Value: { } socket, Key: { } socketName }) return null;
        _adopted.Add(socketName);
        // Generation 0: systemd passed it (and keeps its copy); otherwise the previous generation did.
        return Adopt(name, socket.Descriptor, heldBySystem: inherited.Generation == 0);
    }

    /// <summary>Sockets the configuration does not serve: our copies go; the predecessor closes its own when it drains.</summary>
    public void CloseUnadopted()
    {
        foreach (var (name, socket) in inherited.Sockets)
            if (!_adopted.Contains(name))
                HandoffProtocol.CloseDescriptor(socket.Descriptor);
    }

    private ListenerHandle Adopt(string name, int descriptor, bool heldBySystem)
    {
        var socket = new Socket(new SafeSocketHandle(descriptor, ownsHandle: true));
        if (!socket.IsBound) throw new IOException($"descriptor {descriptor} for listener {name} is not a bound socket");
        // A generation that was stopping may have left its handshake filter on the socket it handed over.
        ListenQueue.AllowHandshakes(socket);
        return new ListenerHandle(name, socket, time) { Adopted = true, HeldBySystem = heldBySystem };
    }
}
