using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Gateway.Connections;
using Gateway.Upstreams;
using Microsoft.AspNetCore.Http;

namespace Gateway.Routing;

/// <summary>
/// Relays a WebSocket message by message instead of as opaque bytes, so that a drain can end it the protocol's way:
/// a close frame 1001 "going away" to the client and to the upstream, then both closing handshakes finish.
/// </summary>
internal static class WebSocketRelay
{
    /// <summary>What a drain says to both ends of a relayed WebSocket.</summary>
    internal const string GoingAway = "going away";

    /// <summary>Each side's own handshake: the relay answers the client itself and makes its own handshake upstream.</summary>
    private static readonly string[] HandshakeHeaders =
        ["Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Sec-WebSocket-Accept"];

    /// <summary>
    /// Connects to the upstream first — the handshake request built by the route's <see cref="ForwardingTransform"/>,
    /// as every upstream request is; its refusal or error status is answered as such, before the client is upgraded —
    /// then accepts the client's WebSocket (HTTP/1.1 upgrade or HTTP/2 extended CONNECT) and relays until both sides
    /// have closed. Returns why the upstream could not be reached, or null.
    /// </summary>
    public static async Task<string?> RunAsync(HttpContext context, UpstreamHandle upstream, UpstreamEndpoint endpoint, LongLivedStream stream, ForwardingTransform transform)
    {
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        using var handshake = new HttpRequestMessage(HttpMethod.Get, (Uri?)null) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        await transform.TransformRequestAsync(context, handshake, endpoint.Destination, context.RequestAborted);
        handshake.RequestUri ??= new Uri(endpoint.Destination);
        foreach (var name in HandshakeHeaders) handshake.Headers.Remove(name);
        handshake.Headers.Connection.Add("Upgrade");
        handshake.Headers.Upgrade.Add(new ProductHeaderValue("websocket"));
        handshake.Headers.TryAddWithoutValidation("Sec-WebSocket-Key", key);
        handshake.Headers.TryAddWithoutValidation("Sec-WebSocket-Version", "13");
        if (context.WebSockets.WebSocketRequestedProtocols is { Count: > 0 } protocols)
            handshake.Headers.TryAddWithoutValidation("Sec-WebSocket-Protocol", string.Join(", ", protocols));

        HttpResponseMessage response;
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
        {
            connect.CancelAfter(upstream.Settings.ConnectTimeout + upstream.Settings.ResponseTimeout);
            try
            {
                response = await endpoint.Invoker.SendAsync(handshake, connect.Token);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                if (context.RequestAborted.IsCancellationRequested) return null;
                return e is OperationCanceledException ? "the WebSocket handshake with the upstream timed out" : e.GetBaseException().Message;
            }
        }
        using (response)
        {
            try
            {
                if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
                {
                    // The upstream turned the upgrade down: its answer goes to the client as it is.
                    context.Response.StatusCode = (int)response.StatusCode;
                    await transform.FinishResponseHeadAsync(context, response, context.RequestAborted);
                    await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
                    return null;
                }
                if (response.Headers.NonValidated.TryGetValues("Sec-WebSocket-Accept", out var accept) == false || accept.ToString() != AcceptFor(key))
                    return "the upstream's answer to the WebSocket handshake is not valid (Sec-WebSocket-Accept)";
                await transform.FinishResponseHeadAsync(context, response, context.RequestAborted);
            }
            catch (InvalidDataException e)
            {
                return e.Message;
            }
            foreach (var name in HandshakeHeaders) context.Response.Headers.Remove(name);
            var subProtocol = response.Headers.NonValidated.TryGetValues("Sec-WebSocket-Protocol", out var chosen) ? chosen.ToString() : null;
            using var upstreamSocket = WebSocket.CreateFromStream(await response.Content.ReadAsStreamAsync(context.RequestAborted),
                new WebSocketCreationOptions { IsServer = false, SubProtocol = subProtocol, KeepAliveInterval = WebSocket.DefaultKeepAliveInterval });
            using var client = await context.WebSockets.AcceptWebSocketAsync(subProtocol);
            var toClient = new Sender(client);
            var toUpstream = new Sender(upstreamSocket);
            using var goodbye = stream.Goodbye.Register(() => _ = Task.WhenAll(toClient.GoingAwayAsync(), toUpstream.GoingAwayAsync()));
            await Task.WhenAll(PumpAsync(client, toUpstream, context.RequestAborted), PumpAsync(upstreamSocket, toClient, context.RequestAborted));
            return null;
        }
    }

    /// <summary>The Sec-WebSocket-Accept a server must answer to <paramref name="key"/> (RFC 6455 §4.2.2).</summary>
    private static string AcceptFor(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>The most bytes of a message received in one read.</summary>
    internal const int BufferSize = 16 * 1024;

    /// <summary>Receives from one side until its close frame, sending each message on to the other side.</summary>
    internal static async Task PumpAsync(WebSocket from, Sender to, CancellationToken aborted)
    {
        try
        {
            while (true)
            {
                // A WebSocket waits for its next message most of its life: it waits holding no buffer (a zero-byte
                // receive returns once the next frame's header is in), and takes one from the pool for the message.
                var next = await from.ReceiveAsync(Memory<byte>.Empty, aborted);
                if (await ClosedAsync(next, from, to)) return;
                // An empty message is whole once its header is in; any other is received into a buffer.
                if (next.EndOfMessage) await to.SendAsync(ReadOnlyMemory<byte>.Empty, next.MessageType, endOfMessage: true);
                else if (!await RelayMessageAsync(from, to, aborted)) return;
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side vanished without a close frame: the other side loses its peer the same way.
            to.Abort();
        }
    }

    /// <summary>Relays the message whose frame has arrived, to its end; false once the side sent its close frame.</summary>
    private static async Task<bool> RelayMessageAsync(WebSocket from, Sender to, CancellationToken aborted)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer.AsMemory(), aborted);
                if (await ClosedAsync(received, from, to)) return false;
                await to.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage);
                if (received.EndOfMessage) return true;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Whether <paramref name="received"/> was the side's close frame; if so, the other side is closed the same way.</summary>
    private static async ValueTask<bool> ClosedAsync(ValueWebSocketReceiveResult received, WebSocket from, Sender to)
    {
        if (received.MessageType != WebSocketMessageType.Close) return false;
        await to.CloseAsync(from.CloseStatus ?? WebSocketCloseStatus.Empty, from.CloseStatusDescription);
        return true;
    }

    /// <summary>One side's sending half: one send at a time, and nothing after its close frame.</summary>
    internal sealed class Sender(WebSocket socket)
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private bool _closed;

        public Task GoingAwayAsync() => CloseAsync(WebSocketCloseStatus.EndpointUnavailable, GoingAway);

        public async Task SendAsync(ReadOnlyMemory<byte> message, WebSocketMessageType type, bool endOfMessage)
        {
            await _gate.WaitAsync();
            try
            {
                // After a goodbye the peer may still send until it sees our close frame: those messages are dropped.
                if (!_closed) await socket.SendAsync(message, type, endOfMessage, CancellationToken.None);
            }
            finally
            {
                _gate.Release();
            }
        }

        public async Task CloseAsync(WebSocketCloseStatus status, string? description)
        {
            await _gate.WaitAsync();
            try
            {
                if (_closed || socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
                _closed = true;
                await socket.CloseOutputAsync(status, description, CancellationToken.None);
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException)
            {
                socket.Abort();
            }
            finally
            {
                _gate.Release();
            }
        }

        public void Abort() => socket.Abort();
    }
}
