using System.Buffers;
using System.Net.WebSockets;
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

    private static readonly HashSet<string> HandshakeHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Connection", "Upgrade", "Keep-Alive", "Transfer-Encoding", "TE", "Proxy-Connection",
        "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol", "Sec-WebSocket-Accept",
    };

    /// <summary>
    /// Connects to the upstream first (its refusal or error status is answered as such, before the client is upgraded),
    /// then accepts the client's WebSocket and relays until both sides have closed.
    /// </summary>
    public static async Task<string?> RunAsync(HttpContext context, UpstreamHandle upstream, UpstreamEndpoint endpoint, LongLivedStream stream)
    {
        using var upstreamSocket = new ClientWebSocket();
        var options = upstreamSocket.Options;
        options.CollectHttpResponseDetails = true;
        foreach (var protocol in context.WebSockets.WebSocketRequestedProtocols) options.AddSubProtocol(protocol);
        foreach (var (name, value) in context.Request.Headers)
            if (!HandshakeHeaders.Contains(name)) options.SetRequestHeader(name, value.ToString());
        options.SetRequestHeader("X-Forwarded-For", context.Connection.RemoteIpAddress?.ToString());
        options.SetRequestHeader("X-Forwarded-Proto", context.Request.Scheme);
        options.SetRequestHeader("X-Forwarded-Host", context.Request.Host.Value);

        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
        {
            connect.CancelAfter(upstream.Settings.ConnectTimeout + upstream.Settings.ResponseTimeout);
            try
            {
                await upstreamSocket.ConnectAsync(Target(endpoint.Destination, context.Request), endpoint.Invoker, connect.Token);
            }
            catch (Exception e) when (e is WebSocketException or HttpRequestException or OperationCanceledException)
            {
                if (context.RequestAborted.IsCancellationRequested) return null;
                if (upstreamSocket.HttpStatusCode is var status && (int)status >= 400)
                {
                    context.Response.StatusCode = (int)status;
                    return null;
                }
                return e is OperationCanceledException ? "the WebSocket handshake with the upstream timed out" : e.GetBaseException().Message;
            }
        }

        using var client = await context.WebSockets.AcceptWebSocketAsync(upstreamSocket.SubProtocol);
        var toClient = new Sender(client);
        var toUpstream = new Sender(upstreamSocket);
        using var goodbye = stream.Goodbye.Register(() => _ = Task.WhenAll(toClient.GoingAwayAsync(), toUpstream.GoingAwayAsync()));
        await Task.WhenAll(PumpAsync(client, toUpstream, context.RequestAborted), PumpAsync(upstreamSocket, toClient, context.RequestAborted));
        return null;
    }

    private static Uri Target(string endpoint, HttpRequest request)
    {
        var prefix = new Uri(endpoint);
        var scheme = prefix.Scheme == Uri.UriSchemeHttps ? "wss" : "ws";
        return new Uri($"{scheme}://{prefix.Authority}{prefix.AbsolutePath.TrimEnd('/')}{request.Path}{request.QueryString}");
    }

    /// <summary>Receives from one side until its close frame, sending each message on to the other side.</summary>
    private static async Task PumpAsync(WebSocket from, Sender to, CancellationToken aborted)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                var received = await from.ReceiveAsync(buffer, aborted);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    await to.CloseAsync(from.CloseStatus ?? WebSocketCloseStatus.Empty, from.CloseStatusDescription);
                    return;
                }
                await to.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // One side vanished without a close frame: the other side loses its peer the same way.
            to.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One side's sending half: one send at a time, and nothing after its close frame.</summary>
    private sealed class Sender(WebSocket socket)
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
