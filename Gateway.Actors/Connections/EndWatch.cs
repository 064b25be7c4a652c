using Akka.Actor;

namespace Gateway.Connections;

/// <summary>
/// A connection's end and the one actor to tell of it (<see cref="ConnectionActor.Ended"/>): a field of the
/// connection, where a Task and a continuation per connection held 288 B of every idle one. The actor learns of
/// the end however the two race: an end before the registration is told at the registration. Lock-free, one
/// reference swapped; a mutable struct, so only ever used as a field of its connection, never copied.
/// </summary>
internal struct EndWatch
{
    // The ended state: no actor registers Nobody (it is never a connection actor).
    private static readonly IActorRef EndedMark = ActorRefs.Nobody;

    // null: open, nobody to tell yet; an actor: open, to be told; EndedMark: ended.
    private IActorRef? _state;

    /// <summary>The connection has ended.</summary>
    public bool HasEnded => ReferenceEquals(Volatile.Read(ref _state), EndedMark);

    /// <summary>Tells <paramref name="actor"/> at the end, or now if the connection has ended already. Once per connection.</summary>
    public void TellWhenEnded(IActorRef actor)
    {
        var before = Interlocked.CompareExchange(ref _state, actor, null);
        if (ReferenceEquals(before, EndedMark)) actor.Tell(ConnectionActor.Ended.Instance);
        else if (before is not null) throw new InvalidOperationException($"{before} is told of this connection's end already");
    }

    /// <summary>The connection has ended: its actor (if any yet) is told, once; false if it had ended before.</summary>
    public bool End()
    {
        var before = Interlocked.Exchange(ref _state, EndedMark);
        if (ReferenceEquals(before, EndedMark)) return false;
        before?.Tell(ConnectionActor.Ended.Instance);
        return true;
    }
}
