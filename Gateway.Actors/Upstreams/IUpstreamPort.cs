using Akka.Actor;

namespace Gateway.Upstreams;

/// <summary>
/// What an <see cref="UpstreamActor"/> may do to its connection pool. In production it is
/// <see cref="UpstreamHandle"/> (a SocketsHttpHandler per endpoint); simulations implement it without sockets.
/// </summary>
public interface IUpstreamPort
{
    /// <summary>The configured upstream name.</summary>
    string Name { get; }

    /// <summary>Requests being forwarded to this upstream now.</summary>
    int InFlight { get; }

    /// <summary>Completes when <see cref="InFlight"/> is zero (at once when it already is).</summary>
    Task WhenIdle();

    /// <summary>Closes the pool's connections; requests still in flight fail.</summary>
    void Close();

    /// <summary>The endpoints whose states the actor owns (health checks, drains, DNS); null: none to manage.</summary>
    internal EndpointSet? Endpoints => null;

    /// <summary>Tells the port which actor owns it, so the admin API can reach that actor.</summary>
    void Attach(IActorRef owner) { }
}
