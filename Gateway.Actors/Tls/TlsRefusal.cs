namespace Gateway.Tls;

/// <summary>Why a connection to a TLS listener was closed before it carried a request (counted per listener).</summary>
public enum TlsRefusal
{
    /// <summary>The client spoke plain HTTP (or anything that is not a TLS handshake) to the TLS port.</summary>
    PlainHttp,
    /// <summary>The client offered only application protocols (ALPN) the listener does not speak.</summary>
    NoSharedProtocol,
    /// <summary>The client asked for a server name the listener has no certificate for (<c>unknown-sni = refuse</c>).</summary>
    UnknownSni,
    /// <summary>Any other failed handshake: no shared version or cipher, the client rejected the certificate, a timeout.</summary>
    HandshakeFailed,
}

/// <summary>The label a refusal reason carries in metrics and the admin API.</summary>
public static class TlsRefusalNames
{
    public static string Of(TlsRefusal reason) => reason switch
    {
        TlsRefusal.PlainHttp => "plain-http",
        TlsRefusal.NoSharedProtocol => "no-shared-protocol",
        TlsRefusal.UnknownSni => "unknown-sni",
        _ => "handshake-failed",
    };
}
