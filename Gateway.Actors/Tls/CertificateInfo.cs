using System.Security.Cryptography.X509Certificates;

namespace Gateway.Tls;

/// <summary>What the admin API and the log say about a certificate in service.</summary>
/// <param name="Name">"default", or the SNI name it is served for.</param>
public sealed record CertificateInfo(string Name, string File, string Subject, IReadOnlyList<string> SubjectAlternativeNames,
    string Serial, DateTimeOffset NotBefore, DateTimeOffset NotAfter)
{
    public static CertificateInfo Of(string name, string file, X509Certificate2 certificate) => new(
        name, file, certificate.Subject,
        certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>()
            .SelectMany(e => e.EnumerateDnsNames().Concat(e.EnumerateIPAddresses().Select(ip => ip.ToString())))
            .ToList(),
        certificate.SerialNumber,
        new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
        new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));

    public double DaysToExpiry(DateTimeOffset now) => (NotAfter - now).TotalDays;

    public override string ToString() =>
        $"{Name}: {Subject} serial {Serial} SAN [{string.Join(", ", SubjectAlternativeNames)}] until {NotAfter:u} ({File})";
}
