using System.Net.Sockets;
using Akka.IO;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Gateway.Connections;

/// <summary>
/// The bytes a client sends on an accepted socket, as a stream source: one receive per pull (so a slow upstream
/// slows the client down through TCP's window), completion at the client's FIN. It never closes the socket: the
/// write direction may still be open (half-close), and <see cref="TcpConnection"/> owns the socket.
/// </summary>
internal sealed class SocketSource(Socket socket, Action<long> received, Action stopped) : GraphStage<SourceShape<ByteString>>
{
    private readonly Socket _socket = socket;
    private readonly Action<long> _received = received;
    private readonly Action _stopped = stopped;

    private const int ChunkSize = 64 * 1024;

    private readonly Outlet<ByteString> _out = new("SocketSource.out");

    public override SourceShape<ByteString> Shape => new(_out);

    protected override Attributes InitialAttributes => Attributes.CreateName("socket-source");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : OutGraphStageLogic
    {
        private readonly SocketSource _stage;
        private readonly CancellationTokenSource _stop = new();
        private readonly Action<(int Read, byte[] Buffer, Exception? Error)> _onReceived;

        public Logic(SocketSource stage) : base(stage.Shape)
        {
            _stage = stage;
            _onReceived = GetAsyncCallback<(int Read, byte[] Buffer, Exception? Error)>(OnReceived);
            SetHandler(stage._out, this);
        }

        public override void OnPull()
        {
            var buffer = new byte[ChunkSize];
            _stage._socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).AsTask().ContinueWith(
                t => _onReceived(t.IsCompletedSuccessfully ? (t.Result, buffer, null) : (0, buffer, t.Exception?.GetBaseException() ?? new OperationCanceledException())),
                TaskContinuationOptions.ExecuteSynchronously);
        }

        private void OnReceived((int Read, byte[] Buffer, Exception? Error) result)
        {
            if (result.Error is { } error)
                FailStage(error);
            else if (result.Read == 0)
                CompleteStage(); // the client's FIN: the upstream gets one too, the other direction goes on
            else
            {
                _stage._received(result.Read);
                Push(_stage._out, ByteString.FromBytes(result.Buffer, 0, result.Read));
            }
        }

        public override void PostStop()
            {
                _stop.Cancel();
                _stage._stopped();
            }
    }
}
