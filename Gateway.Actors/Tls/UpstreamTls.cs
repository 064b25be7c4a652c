using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;

namespace Gateway.Tls;

/// <summary>
/// The client side of TLS to an upstream: the CAs to trust (the system store unless <c>tls.ca</c> names a bundle),
/// the client certificate for mTLS, and verification (on unless switched off on purpose). SNI is the endpoint's host:
/// the forwarder sends requests to the endpoint's URI and the handler takes the TLS target host from it.
/// </summary>
internal static class UpstreamTls
{
    /// <exception cref="CertificateException">A file cannot be used.</exception>
    public static SslClientAuthenticationOptions Options(UpstreamTlsSettings? settings, DateTimeOffset now)
    {
        var options = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = System.Security.Authentication.SslProtocols.None, // the system's choice (TLS 1.2/1.3)
        };
        if (settings is null) return options;
        if (settings.ClientCertificate is { } client)
            options.ClientCertificates = [CertificateLoader.Load(client, now)];
        if (!settings.Verify)
            options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (settings.CaFile is { } ca)
        {
            var roots = CertificateLoader.LoadBundle(ca);
            options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(roots, certificate, errors);
        }
        return options;
    }

    /// <summary>The name must match (checked by the TLS stack) and the chain must end at one of <paramref name="roots"/>.</summary>
    private static bool TrustedBy(X509Certificate2Collection roots, X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return presented is X509Certificate2 certificate ? chain.Build(certificate) : chain.Build(X509CertificateLoader.LoadCertificate(presented.GetRawCertData()));
    }
}
