using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Gateway.Connections;

/// <summary>
/// The mailbox of a <see cref="ConnectionActor"/>: a handful of messages in its whole life (the drain, its end, a timer
/// or two), so a queue that holds nothing until the first — Akka's default reserves a 32-slot segment up front, about
/// 1 KB of every idle connection. The gateway's actor system defines it (<see cref="Hocon"/>); a system without it
/// gives connection actors its default mailbox.
/// </summary>
internal sealed class ConnectionMailbox(Settings settings, Config config)
    : MailboxType(settings, config), IProducesMessageQueue<ConnectionMailbox.Queue>
{
    /// <summary>Where the mailbox is defined in the actor system's configuration.</summary>
    public const string Id = "akka.actor.gateway-connection-mailbox";

    public static readonly string Hocon = $"{Id}.mailbox-type = \"{typeof(ConnectionMailbox).FullName}, {typeof(ConnectionMailbox).Assembly.GetName().Name}\"";

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new Queue();

    /// <summary>Many writers (the listener, timers, the connection's end), one reader (the actor).</summary>
    internal sealed class Queue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly Lock _gate = new();
        private Queue<Envelope>? _items;
        private int _count;

        public bool HasMessages => Volatile.Read(ref _count) > 0;

        public int Count => Volatile.Read(ref _count);

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (_gate)
            {
                _items ??= new Queue<Envelope>(4);
                _items.Enqueue(envelope);
                _count = _items.Count;
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            envelope = default;
            if (Volatile.Read(ref _count) == 0) return false;
            lock (_gate)
            {
                if (_items is not { Count: > 0 } items) return false;
                envelope = items.Dequeue();
                _count = items.Count;
                return true;
            }
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
        }
    }
}
