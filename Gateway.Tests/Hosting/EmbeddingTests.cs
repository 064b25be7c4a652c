using System.Collections.Concurrent;
using System.Net;
using EmbeddedService;
using Gateway.Hosting;
using Gateway.Lifecycle;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gateway.Tests.Hosting;

/// <summary>
/// An existing ASP.NET Core + Akka.Hosting service carrying the gateway (deploy/embedded-service, which compiles
/// against the public surface alone): its own actor answers while the gateway drains, and on CoordinatedShutdown the
/// gateway drains before the service's actors stop. This test reads the service only through public API too.
/// </summary>
public sealed class EmbeddingTests
{
    [Fact]
    public async Task A_service_with_its_own_actor_adds_the_gateway_its_actor_answers_during_the_drain_and_stops_only_after_it()
    {
        await using var upstream = await UpstreamServer.StartAsync();
        var journal = new ConcurrentQueue<string>();
        var app = OrdersService.Build($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["{{upstream.Endpoint}}"] }
              routes.app { listener = public, path-prefix = "/", upstream = app }
              drain { announce = 0s, deadline = 20s }
            }
            """, journal.Enqueue, logging => logging.ClearProviders());
        var gateway = app.Services.GetRequiredService<IGateway>();
        gateway.State.PhaseChanged += (_, to) => journal.Enqueue($"gateway {to}");
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var service = OwnAddress(app, gateway);
            Assert.Equal("1", await (await client.PostAsync(new Uri(service, "/orders/book"), null)).Content.ReadAsStringAsync());

            // A request through the gateway holds its drain open while the service is asked again.
            var slow = client.GetAsync(new Uri($"http://{gateway.AddressOf("public")}/slow?ms=1500"));
            await Wait.UntilAsync(() => upstream.Requests == 1);
            var stopping = app.StopAsync();
            await Wait.UntilAsync(() => gateway.State.Phase == GatewayPhase.Draining);

            var count = await (await client.GetAsync(new Uri(service, "/orders/count"))).Content.ReadAsStringAsync();
            journal.Enqueue($"order book answered {count} while the gateway was {gateway.State.Phase}");
            Assert.Equal("1", count);

            Assert.Equal(HttpStatusCode.OK, (await slow).StatusCode);
            await stopping;
        }
        finally
        {
            await app.DisposeAsync();
        }

        var events = journal.ToList();
        int At(string what) => events.FindIndex(e => e.StartsWith(what)) is var i and >= 0 ? i : throw new Xunit.Sdk.XunitException($"no '{what}' in: {string.Join(" | ", events)}");
        Assert.Contains("order book answered 1 while the gateway was Draining", events);
        Assert.True(At("gateway Announcing") < At("gateway Draining"), string.Join(" | ", events));
        Assert.True(At("gateway Draining") < At("order book answered"), string.Join(" | ", events));
        Assert.True(At("order book answered") < At("gateway Exiting"), string.Join(" | ", events));
        Assert.True(At("gateway Exiting") < At("order book stopped"), string.Join(" | ", events));
    }

    /// <summary>The service's own endpoint: the address Kestrel bound that is none of the gateway's.</summary>
    private static Uri OwnAddress(Microsoft.AspNetCore.Builder.WebApplication app, IGateway gateway)
    {
        var gatewayPorts = new[] { gateway.AddressOf("public").Port, gateway.AdminAddress.Port };
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return addresses.Select(a => new Uri(a)).Single(u => u.Host == "127.0.0.1" && !gatewayPorts.Contains(u.Port));
    }
}
