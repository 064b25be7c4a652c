using System.Security.Authentication;
using Gateway.Configuration;
using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Tls;

/// <summary>The TLS keys: read with their defaults, paths relative to the config file, and every bad value named by its key.</summary>
public sealed class TlsConfigTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private string ConfigFile => Path.Combine(_pki.Folder, "gateway.conf");

    private GatewaySettings Parse(string listenerTls, string extra = "") => GatewayConfigLoader.Parse($$"""
        gateway {
          listeners.public { address = "127.0.0.1:0", tls { {{listenerTls}} } }
          routes.r { listener = public, direct-response { status = 200 } }
          {{extra}}
        }
        """, ConfigFile);

    private GatewayConfigException Rejected(string listenerTls, string extra = "") =>
        Assert.Throws<GatewayConfigException>(() => Parse(listenerTls, extra));

    [Fact]
    public void Relative_paths_start_at_the_config_files_folder_and_defaults_are_tls_1_2_and_the_default_certificate()
    {
        _pki.Server("server");
        _pki.Server("api", "api.example.test");
        var settings = Parse("""certificate = "server.pem", key = "server.key", sni { "API.example.test" { certificate = "api.pem", key = "api.key" } }""");

        var tls = settings.Listeners.Single().Tls!;
        Assert.Equal(Path.Combine(_pki.Folder, "server.pem"), tls.Default.Certificate);
        Assert.Equal(Path.Combine(_pki.Folder, "server.key"), tls.Default.PrivateKey);
        Assert.Equal(SslProtocols.Tls12 | SslProtocols.Tls13, tls.Protocols);
        Assert.Equal(UnknownSni.Default, tls.UnknownSni);
        Assert.Equal(Path.Combine(_pki.Folder, "api.pem"), tls.Sni["api.example.test"].Certificate);
    }

    [Fact]
    public void Upstream_tls_and_https_endpoints_are_read_and_verification_is_on_by_default()
    {
        _pki.Server("server");
        var settings = Parse("certificate = server.pem, key = server.key", """
            upstreams.secure { endpoints = ["https://backend.test:8443"], tls { ca = "ca.pem" } }
            upstreams.lax { endpoints = ["https://backend.test"], tls { verify = off } }
            """);

        var secure = settings.Upstreams.Single(u => u.Name == "secure");
        Assert.Equal("https://backend.test:8443/", secure.Endpoints.Single().ToString());
        Assert.Equal(new UpstreamTlsSettings(_pki.CaFile, null, true), secure.Tls);
        Assert.False(settings.Upstreams.Single(u => u.Name == "lax").Tls!.Verify);
    }

    [Fact]
    public void Every_bad_tls_value_is_named_by_its_key()
    {
        _pki.Server("server");
        _pki.Server("other");
        File.WriteAllText(Path.Combine(_pki.Folder, "garbage.pem"), "not a certificate");
        var expired = _pki.Issue("old", ["localhost"], notBefore: DateTimeOffset.UtcNow.AddDays(-9), notAfter: DateTimeOffset.UtcNow.AddDays(-2));
        _pki.Write(expired, "expired");

        var cases = new (string Tls, string Extra, string Key, string Problem)[]
        {
            ("key = server.key", "", "gateway.listeners.public.tls.certificate", "missing"),
            ("certificate = nowhere.pem, key = server.key", "", "gateway.listeners.public.tls.certificate", "nowhere.pem: no such file"),
            ("certificate = server.pem, key = nowhere.key", "", "gateway.listeners.public.tls.key", "nowhere.key: no such file"),
            ("certificate = garbage.pem, key = server.key", "", "gateway.listeners.public.tls.certificate", "not a PEM certificate"),
            ("certificate = server.pem, key = garbage.pem", "", "gateway.listeners.public.tls.key", "not a PEM private key"),
            ("certificate = server.pem, key = other.key", "", "gateway.listeners.public.tls.key", "does not match the certificate"),
            ("certificate = expired.pem, key = expired.key", "", "gateway.listeners.public.tls.certificate", "expired on"),
            ("certificate = server.pem, key = server.key, min-version = \"1.1\"", "", "gateway.listeners.public.tls.min-version", "\"1.3\""),
            ("certificate = server.pem, key = server.key, unknown-sni = drop", "", "gateway.listeners.public.tls.unknown-sni", "default or refuse"),
            ("certificate = server.pem, key = server.key, ciphers = all", "", "gateway.listeners.public.tls.ciphers", "unknown key"),
            ("certificate = server.pem, key = server.key, sni { \"a.test\" { certificate = other.pem, key = server.key } }", "", "gateway.listeners.public.tls.sni.\"a.test\".key", "does not match"),
            ("certificate = server.pem, key = server.key, sni { \"a.test\" { cert = other.pem } }", "", "gateway.listeners.public.tls.sni.a.test.cert", "unknown key"),
            ("certificate = server.pem, key = server.key", "upstreams.u { endpoints = [\"https://b.test\"], tls { ca = nowhere.pem } }", "gateway.upstreams.u.tls.ca", "no such file"),
            ("certificate = server.pem, key = server.key", "upstreams.u { endpoints = [\"https://b.test\"], tls { client-certificate = server.pem } }", "gateway.upstreams.u.tls.client-key", "missing"),
            ("certificate = server.pem, key = server.key", "upstreams.u { endpoints = [\"https://b.test\"], tls { verify = maybe } }", "gateway.upstreams.u.tls.verify", "not on or off"),
            ("certificate = server.pem, key = server.key", "upstreams.u { endpoints = [\"b.test:80\"], tls { verify = on } }", "gateway.upstreams.u.tls", "no endpoint is https://"),
            ("certificate = server.pem, key = server.key", "listeners.db { address = \"127.0.0.1:0\", protocol = tcp, tls { certificate = server.pem, key = server.key } }\nroutes.db { listener = db, upstream = u }\nupstreams.u.endpoints = [\"b.test:5432\"]", "gateway.listeners.db.tls", "does not terminate TLS"),
            ("certificate = server.pem, key = server.key", "routes.x { listener = public, redirect-https = on, upstream = u }\nupstreams.u.endpoints = [\"b.test:80\"]", "gateway.routes.x", "exactly one of"),
        };
        foreach (var (tls, extra, key, problem) in cases)
        {
            var error = Rejected(tls, extra);
            var match = error.Problems.FirstOrDefault(p => p.Key == key);
            Assert.True(match is not null, $"{tls} {extra}: expected a problem at {key}, got: {string.Join("; ", error.Problems.Select(p => p.Message))}");
            Assert.Contains(problem, match!.Problem);
            Assert.Equal(ConfigFile, match.File);
        }
    }

    [Fact]
    public void Operator_commands_that_only_need_the_admin_address_do_not_read_the_certificate_files()
    {
        File.WriteAllText(ConfigFile, """
            gateway {
              listeners.public { address = "127.0.0.1:0", tls { certificate = "unreadable.pem", key = "unreadable.key" } }
              admin.address = "127.0.0.1:15999"
              routes.r { listener = public, direct-response { status = 200 } }
            }
            """);

        Assert.Equal(15999, GatewayConfigLoader.Load(ConfigFile, readCertificates: false).Admin.Address.Port);
        Assert.Contains("unreadable.pem: no such file", Assert.Throws<GatewayConfigException>(() => GatewayConfigLoader.Load(ConfigFile)).Message);
    }

    [Fact]
    public async Task The_process_exits_2_naming_the_key_when_the_private_key_does_not_match()
    {
        var (_, cert, _) = _pki.Server("server");
        var (_, _, otherKey) = _pki.Server("other");
        await using var gateway = GatewayProcess.StartWithConfig($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0", tls { certificate = "{{cert}}", key = "{{otherKey}}" } }
              admin.address = "127.0.0.1:0"
              routes.r { listener = public, direct-response { status = 200 } }
            }
            """);

        Assert.Equal(2, await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"gateway.listeners.public.tls.key: {otherKey}: the private key does not match the certificate", gateway.OutputText);
    }
}
