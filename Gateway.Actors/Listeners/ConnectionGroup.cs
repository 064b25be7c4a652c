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
    /// <summary>Make the actor of an accepted connection; it reports to the listener (this group's parent), not to the group.</summary>
    internal sealed record Spawn(IConnectionPort Connection)
    {
        public override string ToString() => $"Spawn({Connection.Id})";
    }

    private readonly string _listener;
    private readonly Random _random;
    private readonly bool _lightMailbox;

    public ConnectionGroup(string listener, Random random)
    {
        _listener = listener;
        _random = random;
        _lightMailbox = Context.System.Settings.Config.HasPath(ConnectionMailbox.Id);
    }

    public static Props Props(string listener, Random random) => Akka.Actor.Props.Create(() => new ConnectionGroup(listener, random));

    /// <summary>A failing connection actor stops (its PostStop closes that one connection and reports); the others go on.</summary>
    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(_ => Directive.Stop);

    protected override void OnReceive(object message)
    {
        if (message is not Spawn spawn)
        {
            Unhandled(message);
            return;
        }
        var props = ConnectionActor.Props(spawn.Connection, _listener, _random, Context.Parent);
        Context.ActorOf(_lightMailbox ? props.WithMailbox(ConnectionMailbox.Id) : props, ChildName(spawn.Connection.Id));
    }

    private static string ChildName(string connectionId)
    {
        var safe = new string(connectionId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        return "conn-" + safe;
    }
}
