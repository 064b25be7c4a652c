using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;

namespace Gateway.Tls;

/// <summary>One listener's certificates as loaded together: replaced as a whole, so a handshake never sees half a rotation.</summary>
internal sealed class CertificateSet
{
    /// <summary>A certificate ready to serve: its handshake context (intermediates included) is built once, not per handshake.</summary>
    internal sealed record Entry(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    private readonly Dictionary<string, Entry> _byName;

    private CertificateSet(Entry @default, Dictionary<string, Entry> byName, IReadOnlyList<CertificateInfo> info)
    {
        Default = @default;
        _byName = byName;
        Info = info;
    }

    /// <summary>The certificates in service, the default first.</summary>
    public IReadOnlyList<CertificateInfo> Info { get; }

    public Entry Default { get; }

    /// <summary>Loads every file of <paramref name="settings"/>; the first bad one fails the whole set.</summary>
    /// <exception cref="CertificateException">Names the bad file and why.</exception>
    public static CertificateSet Load(ListenerTlsSettings settings, DateTimeOffset now)
    {
        var loaded = new List<X509Certificate2>();
        Entry Read(CertificateFiles files)
        {
            var certificate = CertificateLoader.Load(files, now);
            loaded.Add(certificate);
            // offline: the chain is what the file holds; nothing is fetched while a handshake waits.
            return new Entry(certificate, SslStreamCertificateContext.Create(certificate, CertificateLoader.Intermediates(files), offline: true));
        }
        try
        {
            var @default = Read(settings.Default);
            var info = new List<CertificateInfo> { CertificateInfo.Of("default", settings.Default.Certificate, @default.Certificate) };
            var byName = new Dictionary<string, Entry>(StringComparer.OrdinalIgnoreCase);
            foreach (var (name, files) in settings.Sni)
            {
                var entry = Read(files);
                byName[name] = entry;
                info.Add(CertificateInfo.Of(name, files.Certificate, entry.Certificate));
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
    public Entry? ForName(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName) || _byName.Count == 0) return null;
        if (_byName.TryGetValue(serverName, out var exact)) return exact;
        var dot = serverName.IndexOf('.');
        return dot > 0 && _byName.TryGetValue("*" + serverName[dot..], out var wildcard) ? wildcard : null;
    }

    /// <summary>True when <paramref name="serverName"/> is one the listener has a certificate for (the default's SANs included).</summary>
    public bool Knows(string serverName) =>
        ForName(serverName) is not null || Info[0].SubjectAlternativeNames.Any(n => Matches(n, serverName));

    private static bool Matches(string pattern, string name) =>
        string.Equals(pattern, name, StringComparison.OrdinalIgnoreCase)
        || pattern.StartsWith("*.", StringComparison.Ordinal) && name.IndexOf('.') is var dot and > 0
            && string.Equals(pattern[1..], name[dot..], StringComparison.OrdinalIgnoreCase);
}
