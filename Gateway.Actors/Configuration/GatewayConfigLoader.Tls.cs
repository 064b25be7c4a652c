using System.Security.Authentication;
using Gateway.Tls;

namespace Gateway.Configuration;

public static partial class GatewayConfigLoader
{
    private sealed partial class Reader
    {
        private ListenerTlsSettings ReadListenerTls(string key)
        {
            var files = Pair(key, String($"{key}.certificate"), String($"{key}.key"));
            var version = StringOrDefault($"{key}.min-version");
            var protocols = version switch
            {
                "1.2" => SslProtocols.Tls12 | SslProtocols.Tls13,
                "1.3" => SslProtocols.Tls13,
                _ => throw Error($"{key}.min-version", $"\"{version}\" is not a TLS version the gateway offers: write \"1.2\" or \"1.3\""),
            };
            var unknown = StringOrDefault($"{key}.unknown-sni");
            var unknownSni = unknown switch
            {
                "default" => UnknownSni.Default,
                "refuse" => UnknownSni.Refuse,
                _ => throw Error($"{key}.unknown-sni", $"\"{unknown}\" is not a choice: write default or refuse"),
            };
            var sni = new Dictionary<string, CertificateFiles>(StringComparer.OrdinalIgnoreCase);
            if (config.GetValue($"{key}.sni") is { } names && names.IsObject())
                foreach (var (name, value) in names.GetObject().Items)
                {
                    var entry = $"{key}.sni.\"{name}\"";
                    if (!System.Text.RegularExpressions.Regex.IsMatch(name, @"^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$"))
                        throw Error(entry, "is not a host name: write e.g. \"api.example.test\" or \"*.example.test\"");
                    var pair = value.GetObject().Items;
                    sni[name.ToLowerInvariant()] = Pair(entry,
                        pair.TryGetValue("certificate", out var c) && c.IsString() ? c.GetString() : null,
                        pair.TryGetValue("key", out var k) && k.IsString() ? k.GetString() : null);
                }
            return new ListenerTlsSettings(files, sni, protocols, unknownSni);
        }

        /// <summary>A certificate and its key, both named, readable and matching: checked now so a bad pair starts nothing.</summary>
        private CertificateFiles Pair(string key, string? certificate, string? privateKey, string certificateKey = "certificate", string keyKey = "key")
        {
            if (certificate is null) throw Error($"{key}.{certificateKey}", "missing: name the PEM certificate file");
            if (privateKey is null) throw Error($"{key}.{keyKey}", "missing: name the PEM private key file");
            var files = new CertificateFiles(File($"{key}.{certificateKey}", certificate), File($"{key}.{keyKey}", privateKey), key);
            if (!readCertificates) return files;
            foreach (var (name, path) in new[] { (certificateKey, files.Certificate), (keyKey, files.PrivateKey) })
                if (ConfigFile.Problem(path) is { } unusable)
                    throw Error($"{key}.{name}", $"{path}: {unusable}");
            try
            {
                CertificateLoader.Load(files, DateTimeOffset.UtcNow).Dispose();
            }
            catch (CertificateException e)
            {
                throw Error($"{key}.{(e.File == files.PrivateKey && e.File != files.Certificate ? keyKey : certificateKey)}", $"{e.File}: {e.Reason}");
            }
            return files;
        }

        private UpstreamTlsSettings ReadUpstreamTls(string key)
        {
            var ca = String($"{key}.ca") is { } caText ? File($"{key}.ca", caText) : null;
            if (ca is not null && readCertificates && ConfigFile.Problem(ca) is { } unusable)
                throw Error($"{key}.ca", $"{ca}: {unusable}");
            if (ca is not null && readCertificates)
            {
                try
                {
                    CertificateLoader.LoadBundle(ca);
                }
                catch (CertificateException e)
                {
                    throw Error($"{key}.ca", $"{e.File}: {e.Reason}");
                }
            }
            var certificate = String($"{key}.client-certificate");
            var privateKey = String($"{key}.client-key");
            var client = certificate is null && privateKey is null ? null
                : Pair(key, certificate, privateKey, "client-certificate", "client-key");
            return new UpstreamTlsSettings(ca, client, Bool($"{key}.verify"));
        }
    }
}
