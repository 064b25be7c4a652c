using System.Net;

namespace Gateway.Routing.Grpc;

/// <summary>
/// The upstream's response body of a gRPC call, as the forwarder copies it to the client: streamed as it comes,
/// message boundaries followed so that when the gateway ends the call (a drain's goodbye, the deadline, the upstream
/// failing between two messages) the body ends after a whole message and the call's trailers say why.
/// </summary>
internal sealed class GrpcResponseContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly GrpcCall _call;

    public GrpcResponseContent(HttpContent inner, GrpcCall call)
    {
        _inner = inner;
        _call = call;
        foreach (var header in inner.Headers) Headers.TryAddWithoutValidation(header.Key, header.Value);
    }

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        new Body(await _inner.ReadAsStreamAsync(cancellationToken), _call);

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await using var body = await CreateContentReadStreamAsync();
        await body.CopyToAsync(stream);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }

    private sealed class Body(Stream inner, GrpcCall call) : ReadOnlyBodyStream
    {
        private readonly GrpcFraming _framing = new();
        private int _messages;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_framing.AtBoundary && call.Ended is not null) return 0;
            int read;
            try
            {
                if (!_framing.AtBoundary)
                    read = await inner.ReadAsync(buffer, cancellationToken); // inside a message: its end is awaited
                else
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, call.Ends);
                    read = await inner.ReadAsync(buffer, linked.Token);
                }
            }
            catch (OperationCanceledException) when (call.Ended is not null && !cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
            catch (Exception e) when (e is IOException or HttpRequestException && _framing.AtBoundary && !cancellationToken.IsCancellationRequested)
            {
                // Between two messages an upstream that fails ends the call with a status the client can act on.
                call.End(GrpcStatusCode.Unavailable, $"the upstream failed during the call: {e.GetBaseException().Message}");
                return 0;
            }
            if (read == 0) return 0;
            var count = call.Ended is not null ? _framing.Advance(buffer.Span[..read], stopAtBoundary: true) : _framing.Advance(buffer.Span[..read]);
            if (_framing.Messages != _messages)
            {
                _messages = _framing.Messages;
                call.MessageBegan(_messages);
            }
            return count;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
