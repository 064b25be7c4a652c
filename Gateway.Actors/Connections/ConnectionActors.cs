using Akka.Actor;

namespace Gateway.Connections;

/// <summary>
/// The connection actors of one listener: their one <see cref="Akka.Actor.Props"/> and what they share. Akka keeps an
/// actor's Props for its whole life, so Props made per connection (and copied again to set the mailbox) were about
/// 184 B of every idle connection. A connection reaches its actor here, by the actor's name, from its spawn to the
/// actor's construction: so the actor owns it from its start, before any message, as with Props of its own.
/// </summary>
internal sealed class ConnectionActors : IIndirectActorProducer
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IConnectionPort> _arriving = [];

    /// <param name="listener">The listener's name, for logs.</param>
    /// <param name="random">Spreads idle closes (<see cref="Lifecycle.IdleClosePolicy.Spread"/>).</param>
    /// <param name="owner">The listener, to which each connection actor reports.</param>
    /// <param name="system">Its actor system: connection actors get <see cref="ConnectionMailbox"/> when it defines it.</param>
    public ConnectionActors(string listener, Random random, IActorRef owner, ActorSystem system)
    {
        Listener = listener;
        Random = random;
        Owner = owner;
        var props = Props.CreateBy(this);
        Props = system.Settings.Config.HasPath(ConnectionMailbox.Id) ? props.WithMailbox(ConnectionMailbox.Id) : props;
    }

    public string Listener { get; }
    public Random Random { get; }
    public IActorRef Owner { get; }

    /// <summary>The one Props of every connection actor of the listener.</summary>
    public Props Props { get; }

    /// <summary>Makes the actor of <paramref name="connection"/>, a child of <paramref name="parent"/> named <paramref name="name"/>.</summary>
    public IActorRef Spawn(IActorContext parent, IConnectionPort connection, string name)
    {
        lock (_gate) _arriving.Add(name, connection);
        try
        {
            return parent.ActorOf(Props, name);
        }
        catch
        {
            lock (_gate) _arriving.Remove(name);
            throw;
        }
    }

    /// <summary>The connection of the actor being made (by its name); once.</summary>
    internal IConnectionPort Take(string name)
    {
        lock (_gate)
            return _arriving.Remove(name, out var connection)
                ? connection
                : throw new InvalidOperationException($"no connection for connection actor {name}");
    }

    Type IIndirectActorProducer.ActorType => typeof(ConnectionActor);
    ActorBase IIndirectActorProducer.Produce() => new ConnectionActor(this);
    void IIndirectActorProducer.Release(ActorBase actor) { }
}
