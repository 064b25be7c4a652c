using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Gateway.Tests.Support;
using Gateway.Upstreams;
using Xunit;
using Xunit.Abstractions;

namespace Gateway.Tests.Upstreams;

/// <summary>
/// An endpoint written with a DNS name stands for every address the name resolves to, each an endpoint of its own
/// (dialled at its address; the request keeps the name in its Host header), and follows the name's answers: new
/// addresses join with a slow start, vanished ones drain. The name used is one /etc/hosts gives a loopback address
/// (so no lookup leaves the machine); the changing answers are handed to the upstream as its lookups would.
/// </summary>
public sealed class DnsEndpointTests(ITestOutputHelper output) : UpstreamTestBase
{
    private Task<InProcessGateway> GatewayAsync(int port, string refresh) =>
        GatewayAsync($"endpoints = [\"{LoopbackHostNameFactAttribute.Name}:{port}\"], dns-refresh = {refresh}, slow-start = 2s, response-timeout = 30s");

    [LoopbackHostNameFact]
    public async Task A_name_is_resolved_to_its_address_which_is_dialled_while_the_request_keeps_the_name()
    {
        var backend = await Own(UpstreamServer.StartAsync("backend", address: LoopbackHostNameFactAttribute.Address));
        var port = int.Parse(backend.Endpoint.Split(':')[1]);
        var gateway = await GatewayAsync(port, "500ms");
        var name = $"{LoopbackHostNameFactAttribute.Name}:{port}";

        await Wait.UntilAsync(async () => (await EndpointView.OfAsync(Client, gateway.Admin)).ContainsKey(backend.Endpoint));
        var endpoint = (await EndpointView.OfAsync(Client, gateway.Admin))[backend.Endpoint];
        Assert.Equal((name, "healthy"), (endpoint.Endpoint, endpoint.State));
        Assert.Equal(name, await Client.GetStringAsync(new Uri(gateway.Listener(), "/host")));
    }

    [LoopbackHostNameFact]
    public async Task A_changed_answer_adds_new_addresses_with_a_slow_start_and_drains_the_ones_gone_letting_their_requests_finish()
    {
        var port = FreePort(IPAddress.Parse("127.0.0.2"));
        var second = await Own(UpstreamServer.StartAsync("second", port, address: IPAddress.Parse("127.0.0.2")));
        var third = await Own(UpstreamServer.StartAsync("third", port, address: IPAddress.Parse("127.0.0.3")));
        var gateway = await GatewayAsync(port, "1h");
        var upstream = gateway.Gateway.Runtime.Upstreams.Single();
        var source = upstream.Settings.Endpoints.Single();
        await Wait.UntilAsync(() => upstream.Endpoints.All.Any(e => e.Pinned is not null));  // the real answer, a loopback address

        // The name's answer changes: two addresses now, both new (a slow start each), the old one drained.
        upstream.Owner.Tell(new EndpointProtocol.Resolved(source, [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3")], null));
        await Wait.UntilAsync(() => upstream.Endpoints.All.Count == 2);
        var view = await EndpointView.OfAsync(Client, gateway.Admin);
        Assert.Equal(["127.0.0.2:" + port, "127.0.0.3:" + port], view.Keys.Order());
        Assert.All(view.Values, e => Assert.InRange(e.Share, 0.1, 0.99));
        await Wait.UntilAsync(async () =>
        {
            await Client.GetAsync(new Uri(gateway.Listener(), "/hello"));
            return second.Requests > 0 && third.Requests > 0;
        });

        // One address leaves the answer while a slow request is on it: it finishes, then the address is dropped.
        var slow = Enumerable.Range(0, 4).Select(_ => Client.GetAsync(new Uri(gateway.Listener(), "/slow?ms=2000"))).ToList();
        await Wait.UntilAsync(() => upstream.Endpoints.All.First(e => e.Pinned!.Address.Equals(IPAddress.Parse("127.0.0.2"))).InFlight > 0);
        upstream.Owner.Tell(new EndpointProtocol.Resolved(source, [IPAddress.Parse("127.0.0.3")], null));
        await Wait.UntilAsync(async () => (await EndpointView.OfAsync(Client, gateway.Admin)).GetValueOrDefault("127.0.0.2:" + port)?.State == "draining");
        var beforeDrained = second.Completed.Count(c => c.StartsWith("GET /hello", StringComparison.Ordinal));
        for (var i = 0; i < 10; i++) Assert.Equal("third", (await Client.GetAsync(new Uri(gateway.Listener(), "/hello"))).Headers.GetValues("X-Upstream").Single());
        foreach (var response in await Task.WhenAll(slow)) Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Wait.UntilAsync(() => upstream.Endpoints.All.Count == 1);
        Assert.Equal(beforeDrained, second.Completed.Count(c => c.StartsWith("GET /hello", StringComparison.Ordinal)));
        output.WriteLine($"answer [.2, .3] then [.3]: {second.Completed.Count(c => c.StartsWith("GET /slow"))} slow request(s) finished on .2 while it drained; then it was dropped");

        // A failed lookup keeps the addresses there are.
        upstream.Owner.Tell(new EndpointProtocol.Resolved(source, null, "no answer"));
        await upstream.Owner.Ask<EndpointProtocol.Synced>(EndpointProtocol.Sync.Instance, TimeSpan.FromSeconds(3));
        Assert.Equal("127.0.0.3:" + port, Assert.Single(upstream.Endpoints.All).Address);
    }

}

/// <summary>
/// Runs a test only where /etc/hosts names a loopback address with a name other than localhost (Debian's
/// <c>ip6-localhost</c>, a container's host name…), so that resolving it never leaves the machine.
/// </summary>
public sealed class LoopbackHostNameFactAttribute : FactAttribute
{
    /// <summary>Such a name, or null when there is none.</summary>
    public static readonly string? Name = Find();

    /// <summary>The one loopback address it resolves to.</summary>
    public static IPAddress Address => Dns.GetHostAddresses(Name!).Single();

    public LoopbackHostNameFactAttribute()
    {
        if (Name is null) Skip = "no name in /etc/hosts other than localhost resolves to one loopback address alone";
    }

    private static string? Find()
    {
        if (!File.Exists("/etc/hosts")) return null;
        var names = File.ReadAllLines("/etc/hosts")
            .Select(l => l.Split('#')[0].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 2 && IPAddress.TryParse(f[0], out var ip) && IPAddress.IsLoopback(ip))
            .SelectMany(f => f.Skip(1))
            .Where(n => !n.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !n.Equals(Dns.GetHostName(), StringComparison.OrdinalIgnoreCase));
        foreach (var name in names.Distinct())
        {
            try
            {
                if (Dns.GetHostAddresses(name) is [var only] && IPAddress.IsLoopback(only)) return name;
            }
            catch (SocketException)
            {
            }
        }
        return null;
    }
}
