using Microsoft.AspNetCore.Connections;

namespace Gateway.Tls;

/// <summary>
/// What the connection middleware before TLS learned from the ClientHello, shared with the certificate selector and
/// the middleware after TLS through the connection's items, so that a refused handshake is counted with its reason.
/// </summary>
internal sealed class TlsHandshakeState(TlsClientHello hello)
{
    private static readonly object ItemsKey = new();

    public TlsClientHello Hello { get; } = hello;

    /// <summary>Set by whoever refused the connection, first reason wins.</summary>
    public TlsRefusal? Refusal { get; private set; }

    /// <summary>The handshake completed and the connection reached the gateway.</summary>
    public bool Established { get; set; }

    public void Refuse(TlsRefusal reason) => Refusal ??= reason;

    public void AttachTo(ConnectionContext connection) => connection.Items[ItemsKey] = this;

    public static TlsHandshakeState? Of(ConnectionContext connection) =>
        connection.Items.TryGetValue(ItemsKey, out var state) ? state as TlsHandshakeState : null;
}
