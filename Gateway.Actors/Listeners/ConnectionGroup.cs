using System.Buffers;
using Akka.Actor;
using Gateway.Connections;

namespace Gateway.Listeners;

/// <summary>
/// The parent of a share of one listener's connection actors; the listener keeps their drain. Akka hands a parent all
/// its children each time one stops, so one parent of 10,000 connections made the drain quadratic: a group holds about
/// <see cref="ListenerActor.ConnectionsPerGroup"/>, and the groups stop their children on both cores.
/// </summary>
internal sealed class ConnectionGroup : UntypedActor
{
    /// <summary>Make the actor of an accepted connection; it reports to the listener (<see cref="ConnectionActors.Owner"/>), not to the group.</summary>
    internal sealed record Spawn(IConnectionPort Connection)
    {
        public override string ToString() => $"Spawn({Connection.Id})";
    }

    private readonly ConnectionActors _connections;

    public ConnectionGroup(ConnectionActors connections) => _connections = connections;

    public static Props Props(ConnectionActors connections) => Akka.Actor.Props.Create(() => new ConnectionGroup(connections));

    /// <summary>A failing connection actor stops (its PostStop closes that one connection and reports); the others go on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    /// <summary>
    /// Akka keeps a parent that watches nothing in a light state that answers "do I watch this child?" by building its
    /// full state and throwing it away — a dictionary, two sets and a stack for every child that stops. A second
    /// behaviour (the same one) makes the full state once, and the group keeps it.
    /// </summary>
    protected override void PreStart() => Become(OnReceive);

    protected override void OnReceive(object message)
    {
        if (message is not Spawn spawn)
        {
            Unhandled(message);
            return;
        }
        _connections.Spawn(Context, spawn.Connection, ChildName(spawn.Connection.Id));
    }

    // Kestrel's connection ids are letters and digits already: only another id is rewritten (a string less each).
    private static readonly SearchValues<char> NameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private static string ChildName(string connectionId)
    {
        if (!connectionId.AsSpan().ContainsAnyExcept(NameChars)) return "conn-" + connectionId;
        var safe = new string(connectionId.Select(c => NameChars.Contains(c) ? c : '_').ToArray());
        return "conn-" + safe;
    }
}
