using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;

namespace Gateway.Tls;

/// <summary>One listener's certificates as loaded together: replaced as a whole, so a handshake never sees half a rotation.</summary>
internal sealed class CertificateSet
{
    private readonly X509Certificate2 _default;
    private readonly Dictionary<string, X509Certificate2> _byName;

    private CertificateSet(X509Certificate2 @default, Dictionary<string, X509Certificate2> byName, IReadOnlyList<CertificateInfo> info)
    {
        _default = @default;
        _byName = byName;
        Info = info;
    }

    /// <summary>The certificates in service, the default first.</summary>
    public IReadOnlyList<CertificateInfo> Info { get; }

    /// <summary>Loads every file of <paramref name="settings"/>; the first bad one fails the whole set.</summary>
    /// <exception cref="CertificateException">Names the bad file and why.</exception>
    public static CertificateSet Load(ListenerTlsSettings settings, DateTimeOffset now)
    {
        var loaded = new List<X509Certificate2>();
        try
        {
            var @default = CertificateLoader.Load(settings.Default, now);
            loaded.Add(@default);
            var info = new List<CertificateInfo> { CertificateInfo.Of("default", settings.Default.Certificate, @default) };
            var byName = new Dictionary<string, X509Certificate2>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, files) in settings.Sni)
            {
                var certificate = CertificateLoader.Load(files, now);
                loaded.Add(certificate);
                byName[name] = certificate;
                info.Add(CertificateInfo.Of(name, files.Certificate, certificate));
            }
            return new CertificateSet(@default, byName, info);
        }
        catch
        {
            loaded.ForEach(c => c.Dispose());
            throw;
        }
    }

    /// <summary>The certificate for a requested server name: exact, then a one-label wildcard, else null.</summary>
    public X509Certificate2? ForName(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName) || _byName.Count == 0) return null;
        if (_byName.TryGetValue(serverName, out var exact)) return exact;
        var dot = serverName.IndexOf('.');
        return dot > 0 && _byName.TryGetValue("*" + serverName[dot..], out var wildcard) ? wildcard : null;
    }

    public X509Certificate2 Default => _default;

    /// <summary>True when <paramref name="serverName"/> is one the listener has a certificate for (the default's SANs included).</summary>
    public bool Knows(string serverName) =>
        ForName(serverName) is not null || Info[0].SubjectAlternativeNames.Any(n => Matches(n, serverName));

    private static bool Matches(string pattern, string name) =>
        string.Equals(pattern, name, StringComparison.OrdinalIgnoreCase)
        || pattern.StartsWith("*.", StringComparison.Ordinal) && name.IndexOf('.') is var dot and > 0
            && string.Equals(pattern[1..], name[dot..], StringComparison.OrdinalIgnoreCase);
}
