using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Gateway.Connections;

/// <summary>
/// The mailbox of a <see cref="ConnectionActor"/>: a handful of messages in its whole life (the drain, its end, a timer
/// or two), so a queue that keeps one in a field and makes a list only when more wait — Akka's default reserves a
/// 32-slot segment up front, about 1 KB of every idle connection. The gateway's actor system defines it (<see cref="Hocon"/>); a system without it
/// gives connection actors its default mailbox.
/// </summary>
internal sealed class ConnectionMailbox(Settings settings, Config config)
    : MailboxType(settings, config), IProducesMessageQueue<ConnectionMailbox.Queue>
{
    /// <summary>Where the mailbox is defined in the actor system's configuration.</summary>
    public const string Id = "akka.actor.gateway-connection-mailbox";

    public static readonly string Hocon = $"{Id}.mailbox-type = \"{typeof(ConnectionMailbox).FullName}, {typeof(ConnectionMailbox).Assembly.GetName().Name}\"";

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new Queue();

    /// <summary>
    /// Many writers (the listener, timers, the connection's end), one reader (the actor). The first message waits in a
    /// field: a connection actor mostly has one at a time, so most never make a queue. Locked on itself: a lock object
    /// per connection would be memory every idle connection holds.
    /// </summary>
    internal sealed class Queue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private Envelope _head;
        private Queue<Envelope>? _rest;
        private int _count;

        public bool HasMessages => Volatile.Read(ref _count) > 0;

        public int Count => Volatile.Read(ref _count);

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            lock (this)
            {
                if (_count == 0) _head = envelope;
                else (_rest ??= new Queue<Envelope>(4)).Enqueue(envelope);
                Volatile.Write(ref _count, _count + 1);
            }
        }

        public bool TryDequeue(out Envelope envelope)
        {
            envelope = default;
            if (Volatile.Read(ref _count) == 0) return false;
            lock (this)
            {
                if (_count == 0) return false;
                envelope = _head;
                _head = _rest is { Count: > 0 } rest ? rest.Dequeue() : default;
                Volatile.Write(ref _count, _count - 1);
                return true;
            }
        }

        public void CleanUp(IActorRef owner, IMessageQueue deadletters)
        {
            while (TryDequeue(out var envelope)) deadletters.Enqueue(owner, envelope);
        }
    }
}
