using Gateway.Configuration;
using Gateway.Host.Cli;
using Xunit;

namespace Gateway.Tests.Configuration;

/// <summary>What `config` prints is a configuration the gateway reads back to the same settings (units written).</summary>
public sealed class EffectiveConfigTests
{
    [Fact]
    public void The_effective_config_reads_back_to_the_same_settings()
    {
        var settings = GatewayConfigLoader.Parse("""
            gateway {
              listeners.public { address = "127.0.0.1:0", limits { max-body-bytes = 1MiB, max-connections = 50 } }
              upstreams.api { endpoints = ["127.0.0.1:9001"], connect-timeout = 2s, response-timeout = 1500ms }
              routes.api { listener = public, path-prefix = "/api", upstream = api }
              routes.home { listener = public, host = "example.test", direct-response { status = 204, body = "" } }
              limits { max-header-bytes = 16KiB, max-request-line-bytes = 4KiB }
              drain { announce = 1s, deadline = 20s }
            }
            """, "/etc/gateway/effective.conf");

        var again = GatewayConfigLoader.Parse(EffectiveConfig.Hocon(settings), "/etc/gateway/printed.conf");

        Assert.Equal(settings.Listeners, again.Listeners);
        Assert.Equal(settings.Routes, again.Routes);
        Assert.Equal(settings.Upstreams.Select(u => (u.Name, u.ConnectTimeout, u.ResponseTimeout)), again.Upstreams.Select(u => (u.Name, u.ConnectTimeout, u.ResponseTimeout)));
        Assert.Equal((settings.Limits, settings.Drain), (again.Limits, again.Drain));
    }
}
