using Gateway.Connections;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Gateway.Routing;

/// <summary>
/// The gateway's request middleware, the one behind <see cref="GatewayHostingExtensions.UseGateway"/> and behind the
/// server of a listener a reload adds: a request on a gateway listener is the gateway's (its connection sees it
/// arrive, then admission and the <see cref="GatewayRequestHandler"/>) and never reaches later middleware; any other
/// request — the admin API's, an embedding application's own — goes on.
/// </summary>
internal static class GatewayRequestPipeline
{
    public static void Use(IApplicationBuilder app, GatewayRequestHandler handler)
    {
        // The gateway accepts WebSockets itself (it relays them message by message, see WebSocketRelay). Only upgrade
        // and CONNECT requests pass through the handshake middleware, which allocates per request.
        app.UseWhen(context => context.Request.Headers.Upgrade.Count > 0 || HttpMethods.IsConnect(context.Request.Method),
            branch => branch.UseWebSockets());
        app.Use((context, next) => GatewayRequestHandler.ConnectionOf(context) is { } connection
            ? Serve(context, connection, handler)
            : next(context));
    }

    private static Task Serve(HttpContext context, KestrelConnection connection, GatewayRequestHandler handler)
    {
        connection.RequestArrived(context.Response);
        return RequestAdmission.Refuse(context, connection.Listener.Limits) ?? handler.HandleAsync(context, connection);
    }
}
