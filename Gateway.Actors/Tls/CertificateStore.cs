using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;
using Microsoft.AspNetCore.Connections;

namespace Gateway.Tls;

/// <summary>
/// The certificates one TLS listener serves. Kestrel's certificate selector reads the current set through a volatile
/// reference on every handshake, so a rotation takes effect for the next handshake while established connections
/// keep the certificate they negotiated (their streams hold it). A set that fails to load never replaces the old one.
/// </summary>
internal sealed class CertificateStore
{
    private readonly TimeProvider _time;
    private ListenerTlsSettings _settings;
    private CertificateSet _set;

    /// <exception cref="CertificateException">A file of <paramref name="settings"/> cannot be served.</exception>
    internal CertificateStore(string listener, ListenerTlsSettings settings, TimeProvider time)
    {
        Listener = listener;
        _time = time;
        _settings = settings;
        _set = CertificateSet.Load(settings, time.GetUtcNow());
    }

    public string Listener { get; }

    public ListenerTlsSettings Settings => Volatile.Read(ref _settings);

    /// <summary>The certificates in service now, the default first.</summary>
    public IReadOnlyList<CertificateInfo> InService => Volatile.Read(ref _set).Info;

    /// <summary>
    /// Kestrel's <c>ServerCertificateSelector</c>: the certificate for the client's SNI name; null refuses the
    /// handshake (an unknown name with <c>unknown-sni = refuse</c>) and records why on the connection. Used when the
    /// ClientHello could not be read ahead (see <see cref="SelectContext"/>).
    /// </summary>
    internal X509Certificate2? Select(ConnectionContext? connection, string? serverName) =>
        Choose(connection, serverName)?.Certificate;

    /// <summary>
    /// The handshake context for the SNI name read from the ClientHello, chosen before the handshake starts: it
    /// carries the certificate's intermediates and is built once per load. Null: refused (counted).
    /// </summary>
    internal SslStreamCertificateContext? SelectContext(ConnectionContext connection, string? serverName) =>
        Choose(connection, serverName)?.Context;

    private CertificateSet.Entry? Choose(ConnectionContext? connection, string? serverName)
    {
        var set = Volatile.Read(ref _set);
        if (string.IsNullOrEmpty(serverName)) return set.Default;
        if (set.ForName(serverName) is { } named) return named;
        if (Settings.UnknownSni == UnknownSni.Default || set.Knows(serverName)) return set.Default;
        if (connection is not null) TlsHandshakeState.Of(connection)?.Refuse(TlsRefusal.UnknownSni);
        return null;
    }

    /// <summary>Loads the files again (or those of <paramref name="next"/>) and swaps them in when every one is good.</summary>
    /// <returns>What changed: whether the set was replaced, and the problem when it was rejected.</returns>
    internal (bool Replaced, CertificateException? Rejected) Reload(ListenerTlsSettings? next = null)
    {
        var settings = next ?? Settings;
        CertificateSet loaded;
        try
        {
            loaded = CertificateSet.Load(settings, _time.GetUtcNow());
        }
        catch (CertificateException e)
        {
            return (false, e);
        }
        var current = Volatile.Read(ref _set);
        Volatile.Write(ref _settings, settings);
        // Same serials, same files: nothing to announce (a watcher fires for every write, and a reload for any edit).
        if (loaded.Info.Select(Identity).SequenceEqual(current.Info.Select(Identity))) return (false, null);
        Volatile.Write(ref _set, loaded);
        return (true, null);
    }

    private static (string, string, string) Identity(CertificateInfo info) => (info.Name, info.Serial, info.File);
}
