using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tests.Tls;

/// <summary>A private CA made in code, issuing server and client certificates written as PEM files to a temp folder.</summary>
public sealed class TestPki : IDisposable
{
    public TestPki(string name = "Gateway Test CA")
    {
        Folder = Directory.CreateTempSubdirectory("gateway-tls-").FullName;
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddYears(1));
        CaFile = Path.Combine(Folder, "ca.pem");
        File.WriteAllText(CaFile, Ca.ExportCertificatePem());
    }

    public string Folder { get; }
    public X509Certificate2 Ca { get; }
    public string CaFile { get; }

    /// <summary>Issues a certificate for <paramref name="names"/> (DNS names, or IP addresses), valid in the given window.</summary>
    public X509Certificate2 Issue(string subject, string[] names, bool client = false, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, X509Certificate2? issuer = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={subject}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
            if (IPAddress.TryParse(name, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(name);
        if (names.Length > 0) request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [client ? new Oid("1.3.6.1.5.5.7.3.2") : new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        using var issued = request.Create(issuer ?? Ca, notBefore ?? DateTimeOffset.UtcNow.AddHours(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(90), serial);
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>An intermediate CA under the root (with its key), for chains.</summary>
    public X509Certificate2 Intermediate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var issued = request.Create(Ca, DateTimeOffset.UtcNow.AddDays(-20), DateTimeOffset.UtcNow.AddDays(300), RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>Writes the certificate and its key as <c>{name}.pem</c> and <c>{name}.key</c>; returns both paths.</summary>
    public (string Certificate, string Key) Write(X509Certificate2 certificate, string name)
    {
        var certificateFile = Path.Combine(Folder, name + ".pem");
        var keyFile = Path.Combine(Folder, name + ".key");
        WriteAtomically(certificateFile, certificate.ExportCertificatePem());
        WriteAtomically(keyFile, certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (certificateFile, keyFile);
    }

    /// <summary>Issues and writes a server certificate in one go.</summary>
    public (X509Certificate2 Certificate, string CertificateFile, string KeyFile) Server(string name, params string[] names)
    {
        var certificate = Issue(name, names.Length == 0 ? ["localhost", "127.0.0.1"] : names);
        var (c, k) = Write(certificate, name);
        return (certificate, c, k);
    }

    /// <summary>As a rotation tool does it: a temp file renamed over the old one, so a reader sees old or new, never half.</summary>
    public static void WriteAtomically(string file, string text)
    {
        var temp = file + ".tmp-" + Guid.NewGuid().ToString("N")[..6];
        File.WriteAllText(temp, text);
        File.Move(temp, file, overwrite: true);
    }

    public void Dispose()
    {
        Ca.Dispose();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
