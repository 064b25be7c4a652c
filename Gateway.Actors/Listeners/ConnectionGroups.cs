using Akka.Actor;

namespace Gateway.Listeners;

/// <summary>
/// Which <see cref="ConnectionGroup"/> a listener's next connection goes to: one with room (fewer than
/// <see cref="ListenerActor.ConnectionsPerGroup"/> connections, counting those on their way), else a new one. Used
/// from the listener's own receive only.
/// </summary>
internal sealed class ConnectionGroups(IActorContext context, Func<Props> props)
{
    private sealed class Slot(IActorRef group)
    {
        public IActorRef Group { get; } = group;
        public int Load { get; set; }
    }

    private readonly List<Slot> _slots = [];
    private readonly Dictionary<string, Slot> _byName = [];
    private int _next = -1;
    private int _made;

    /// <summary>The group for one more connection; it counts there from now on.</summary>
    public IActorRef Next()
    {
        for (var tried = 0; tried < _slots.Count; tried++)
        {
            _next = (_next + 1) % _slots.Count;
            if (_slots[_next].Load < ListenerActor.ConnectionsPerGroup) return Take(_slots[_next]);
        }
        var slot = new Slot(context.Watch(context.ActorOf(props(), "connections-" + _made++)));
        _slots.Add(slot);
        _byName[slot.Group.Path.Name] = slot;
        _next = _slots.Count - 1;
        return Take(slot);
    }

    /// <summary>A connection actor's last word: its group has room for one more.</summary>
    public void Left(IActorRef connection)
    {
        if (_byName.TryGetValue(connection.Path.Parent.Name, out var slot)) slot.Load--;
    }

    /// <summary>A group stopped (its connections reported from their PostStop): it takes no more.</summary>
    public void Stopped(IActorRef group)
    {
        if (!_byName.Remove(group.Path.Name, out var slot)) return;
        _slots.Remove(slot);
        _next = -1;
    }

    private static IActorRef Take(Slot slot)
    {
        slot.Load++;
        return slot.Group;
    }
}
