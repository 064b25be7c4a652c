using Akka.Actor;

namespace Gateway.Connections;

/// <summary>
/// What a <see cref="ConnectionActor"/> may do to one downstream connection and learn from it. Kestrel connections
/// implement it in production (<see cref="KestrelConnection"/>); simulations implement it with virtual time.
/// </summary>
public interface IConnectionPort
{
    /// <summary>A short id, unique per process (Kestrel's connection id).</summary>
    string Id { get; }

    /// <summary>Who is on the other end, for logs.</summary>
    string Remote { get; }

    /// <summary>Requests (or streams) in flight on this connection now.</summary>
    int InFlight { get; }

    /// <summary>How long since the connection last carried a request (or a byte, for raw TCP); zero while one is in flight.</summary>
    TimeSpan IdleFor { get; }

    /// <summary>The connection has ended, however it ended.</summary>
    bool HasEnded { get; }

    /// <summary>
    /// Tell <paramref name="actor"/> <see cref="ConnectionActor.Ended"/> when the connection ends, however it ends — at
    /// once if it has ended already. Called once, by the connection's actor.
    /// </summary>
    void TellWhenEnded(IActorRef actor);

    /// <summary>Go away on the next response (HTTP/1.1 <c>Connection: close</c>, HTTP/2 GOAWAY); idle stays open.</summary>
    void GoAway();

    /// <summary>
    /// Graceful close, only ever after telling the client: a response that has not started carries
    /// <c>Connection: close</c> / GOAWAY; an idle connection closes now; long-lived streams follow their route's policy.
    /// </summary>
    void RequestClose();

    /// <summary>
    /// After <see cref="RequestClose"/>: null when the close is under way; otherwise the connection could not be told
    /// yet (a response had already started) and this completes when it is idle, to be asked again once quiet.
    /// </summary>
    Task? CloseDeferred => null;

    /// <summary>Long-lived streams (WebSockets, server-sent events) open on this connection now.</summary>
    int Streams { get; }

    /// <summary>The deadline is near: every long-lived stream gets its graceful goodbye now, so little is left to force.</summary>
    void EndStreams();

    /// <summary>Force: the connection is closed now, whatever it carries.</summary>
    void Abort(string reason);
}
