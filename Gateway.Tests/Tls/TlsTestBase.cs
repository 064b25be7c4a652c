using Gateway.Tests.Support;
using Xunit;

namespace Gateway.Tests.Tls;

/// <summary>What most TLS tests start from: a test CA of their own and a plain upstream behind the gateway.</summary>
public abstract class TlsTestBase : IAsyncLifetime
{
    protected TestPki Pki { get; } = new();

    protected UpstreamServer Upstream { get; private set; } = null!;

    public async Task InitializeAsync() => Upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync()
    {
        await Upstream.DisposeAsync();
        Pki.Dispose();
    }
}
