using System.Net;
using Akka.Actor;
using Akka.Hosting;
using Gateway.Configuration;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EmbeddedService;

/// <summary>
/// An orders service with an HTTP endpoint and an actor of its own, that also carries the gateway: two calls
/// (<c>AddGateway</c>, <c>WithGateway</c>) and the middleware (<c>UseGateway</c>). On stop, CoordinatedShutdown drains
/// the gateway in its service phases; the order book stops afterwards, with the actor system.
/// </summary>
public static class OrdersService
{
    /// <param name="hocon">The service's own HOCON: a <c>gateway</c> section beside any <c>akka</c> keys it has.</param>
    /// <param name="journal">Told when the order book stops (a test reads the order of events from it).</param>
    /// <param name="logging">The service's log providers; left out, the builder's defaults.</param>
    public static WebApplication Build(string hocon, Action<string>? journal = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        logging?.Invoke(builder.Logging);

        var settings = GatewayConfigLoader.Parse(hocon, "orders.conf");
        builder.AddGateway(settings, ownActorSystem: false);
        // The service's own endpoint, beside the gateway's listeners.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.AddAkka("orders", (akka, provider) => akka
            .WithGateway(provider)
            .WithActors((system, registry) =>
                registry.Register<OrderBook>(system.ActorOf(OrderBook.Props(journal), "order-book"))));

        var app = builder.Build();
        app.UseGateway();  // requests on the gateway's listeners; the rest goes on to the service's endpoints
        app.MapPost("/orders/{item}", async (string item, IRequiredActor<OrderBook> book) =>
            await book.ActorRef.Ask<int>(new OrderBook.Place(item), TimeSpan.FromSeconds(5)));
        app.MapGet("/orders/count", async (IRequiredActor<OrderBook> book) =>
            await book.ActorRef.Ask<int>(OrderBook.Count.Instance, TimeSpan.FromSeconds(5)));
        return app;
    }
}
