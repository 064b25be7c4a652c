using System.Security.Authentication;

namespace Gateway.Configuration;

/// <summary>A certificate and its private key, both PEM files (absolute paths, resolved against the config's folder).</summary>
/// <param name="Key">The HOCON path of the object that names them, for errors (e.g. <c>gateway.listeners.public.tls</c>).</param>
public sealed record CertificateFiles(string Certificate, string PrivateKey, string Key)
{
    public override string ToString() => $"{Certificate} (key {PrivateKey})";
}

/// <summary>What a TLS listener does with a client asking for a server name none of its certificates is for.</summary>
public enum UnknownSni
{
    /// <summary>Serve the default certificate (the client's own name check decides).</summary>
    Default,
    /// <summary>Refuse the handshake.</summary>
    Refuse,
}

/// <summary>TLS on a listener: a default certificate, optional ones by SNI name, the lowest protocol version offered.</summary>
/// <param name="Sni">Exact names (<c>api.example.test</c>) or one-label wildcards (<c>*.example.test</c>), lower case.</param>
public sealed record ListenerTlsSettings(
    CertificateFiles Default,
    IReadOnlyDictionary<string, CertificateFiles> Sni,
    SslProtocols Protocols,
    UnknownSni UnknownSni)
{
    /// <summary>Every certificate the listener serves, the default first.</summary>
    public IEnumerable<CertificateFiles> AllFiles => Sni.Values.Prepend(Default);

    public bool Equals(ListenerTlsSettings? other) =>
        other is not null && Default == other.Default && Protocols == other.Protocols && UnknownSni == other.UnknownSni
        && Sni.Count == other.Sni.Count && Sni.All(p => other.Sni.TryGetValue(p.Key, out var f) && f == p.Value);

    public override int GetHashCode() => HashCode.Combine(Default, Protocols, UnknownSni, Sni.Count);
}

/// <summary>TLS to an upstream's <c>https://</c> endpoints.</summary>
/// <param name="CaFile">A PEM bundle of the CAs to trust instead of the system store; null: the system store.</param>
/// <param name="ClientCertificate">Presented when the upstream asks for one (mTLS).</param>
/// <param name="Verify">Off only on purpose: the startup log warns.</param>
public sealed record UpstreamTlsSettings(string? CaFile, CertificateFiles? ClientCertificate, bool Verify);
