namespace Gateway.Tls;

/// <summary>A certificate file the gateway will not serve: which file, and why (one sentence).</summary>
public sealed class CertificateException(string file, string reason, Exception? inner = null)
    : Exception($"{file}: {reason}", inner)
{
    public string File { get; } = file;
    public string Reason { get; } = reason;
}
