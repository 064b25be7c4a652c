using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;

namespace Gateway.Tls;

/// <summary>Reads PEM certificates and keys, and refuses what should not be served or trusted.</summary>
internal static class CertificateLoader
{
    /// <summary>
    /// Loads a certificate with its private key: both files readable, valid PEM, the key matching the certificate,
    /// and <paramref name="now"/> inside its validity.
    /// </summary>
    /// <exception cref="CertificateException">Names the file at fault and the reason.</exception>
    public static X509Certificate2 Load(CertificateFiles files, DateTimeOffset now)
    {
        var certificatePem = Read(files.Certificate);
        var keyPem = Read(files.PrivateKey);
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPem(certificatePem);
        }
        catch (CryptographicException e)
        {
            throw new CertificateException(files.Certificate, $"not a PEM certificate ({e.Message})", e);
        }
        using (certificate)
        {
            X509Certificate2 withKey;
            try
            {
                withKey = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            }
            // A key of another pair fails as ArgumentException (does not match), a malformed one as CryptographicException.
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                throw new CertificateException(files.PrivateKey, KeyProblem(keyPem, e), e);
            }
            var (notBefore, notAfter) = (withKey.NotBefore.ToUniversalTime(), withKey.NotAfter.ToUniversalTime());
            if (now >= notBefore && now <= notAfter)
                return withKey;
            withKey.Dispose();
            throw new CertificateException(files.Certificate, now < notBefore ? $"not valid yet (valid from {notBefore:u})" : $"expired on {notAfter:u}");
        }
    }

    /// <summary>The intermediates that follow the leaf in a certificate file (sent with it in every handshake).</summary>
    public static X509Certificate2Collection Intermediates(CertificateFiles files)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(Read(files.Certificate));
        var intermediates = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++) intermediates.Add(all[i]);
        all[0].Dispose();
        return intermediates;
    }

    /// <summary>Loads every certificate of a PEM bundle (CAs to trust).</summary>
    public static X509Certificate2Collection LoadBundle(string file)
    {
        var pem = Read(file);
        var bundle = new X509Certificate2Collection();
        try
        {
            bundle.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new CertificateException(file, $"not a PEM certificate bundle ({e.Message})", e);
        }
        if (bundle.Count == 0)
            throw new CertificateException(file, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        return bundle;
    }

    private static string KeyProblem(string keyPem, Exception e) =>
        keyPem.Contains("PRIVATE KEY-----", StringComparison.Ordinal)
            ? $"the private key does not match the certificate, or cannot be read ({e.Message})"
            : "not a PEM private key (-----BEGIN PRIVATE KEY----- expected)";

    private static string Read(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateException(file, e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : $"cannot read it: {e.Message}", e);
        }
    }
}
