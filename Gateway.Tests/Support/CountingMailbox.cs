using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Dispatch.MessageQueues;

namespace Gateway.Tests.Support;

/// <summary>
/// An unbounded mailbox that counts every message enqueued to the actors deployed with it, so a test can prove
/// that the request path sends none.
/// </summary>
public sealed class CountingMailbox(Settings settings, Config config) : MailboxType(settings, config), IProducesMessageQueue<UnboundedMessageQueue>
{
    private static long _enqueued;

    /// <summary>Messages enqueued so far to every actor using this mailbox.</summary>
    public static long Enqueued => Interlocked.Read(ref _enqueued);

    /// <summary>HOCON deploying the gateway tree (supervisor, listeners, connections, upstreams) with this mailbox.</summary>
    public const string Hocon = $$"""
        akka.actor.deployment {
          "/gateway" { mailbox = akka.counting-mailbox }
          "/gateway/*" { mailbox = akka.counting-mailbox }
          "/gateway/*/*" { mailbox = akka.counting-mailbox }
          "/gateway/*/*/*" { mailbox = akka.counting-mailbox }
        }
        akka.counting-mailbox { mailbox-type = "Gateway.Tests.Support.CountingMailbox, Gateway.Tests" }
        {{Gateway.Connections.ConnectionMailbox.Id}} { mailbox-type = "Gateway.Tests.Support.CountingMailbox, Gateway.Tests" }
        """;

    public override IMessageQueue Create(IActorRef owner, ActorSystem system) => new CountingQueue();

    private sealed class CountingQueue : IMessageQueue, IUnboundedMessageQueueSemantics
    {
        private readonly UnboundedMessageQueue _inner = new();

        public bool HasMessages => _inner.HasMessages;
        public int Count => _inner.Count;

        public void Enqueue(IActorRef receiver, Envelope envelope)
        {
            Interlocked.Increment(ref _enqueued);
            _inner.Enqueue(receiver, envelope);
        }

        public bool TryDequeue(out Envelope envelope) => _inner.TryDequeue(out envelope);

        public void CleanUp(IActorRef owner, IMessageQueue deadletters) => _inner.CleanUp(owner, deadletters);
    }
}
