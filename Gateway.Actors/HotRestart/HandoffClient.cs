using System.Net.Sockets;

namespace Gateway.HotRestart;

/// <summary>The new generation's side of a hot restart: receive the listening sockets, then say READY.</summary>
internal sealed class HandoffClient : IDisposable
{
    private readonly Socket _socket;

    private HandoffClient(Socket socket) => _socket = socket;

    /// <summary>Connects to the running gateway at <paramref name="path"/>; null when none runs there.</summary>
    public static HandoffClient? Connect(string path) =>
        ControlSocket.TryConnect(path) is { } socket ? new HandoffClient(socket) : null;

    /// <summary>Asks for the listening sockets (received with FD_CLOEXEC).</summary>
    public InheritedListeners RequestListeners()
    {
        HandoffProtocol.SendLine(_socket, HandoffProtocol.Hello);
        var answer = HandoffProtocol.ReadLine(_socket, HandoffProtocol.StepTimeout)
            ?? throw new IOException("the running gateway closed the control connection (is it draining already?)");
        return HandoffProtocol.ParseListeners(answer.Line, answer.Descriptors);
    }

    /// <summary>Tells the old generation that this one serves <paramref name="taken"/>; it then drains.</summary>
    /// <returns>True once the old generation has released the control socket and begun to drain.</returns>
    public bool Ready(IEnumerable<string> taken)
    {
        var names = string.Join(',', taken);
        HandoffProtocol.SendLine(_socket, $"{HandoffProtocol.Ready} {(names.Length == 0 ? "-" : names)}");
        return HandoffProtocol.ReadLine(_socket, HandoffProtocol.StepTimeout)?.Line == HandoffProtocol.Draining;
    }

    public void Dispose() => _socket.Dispose();
}
