using Akka.Actor;

namespace EmbeddedService;

/// <summary>The service's own actor: it counts orders and answers how many there are.</summary>
public sealed class OrderBook : ReceiveActor
{
    /// <summary>Adds one order; answered with the new count.</summary>
    public sealed record Place(string Item);

    /// <summary>Asks for the count of orders.</summary>
    public sealed record Count
    {
        public static readonly Count Instance = new();
    }

    private readonly Action<string> _journal;
    private int _orders;

    public OrderBook(Action<string>? journal = null)
    {
        _journal = journal ?? (_ => { });
        Receive<Place>(_ => Sender.Tell(++_orders));
        Receive<Count>(_ => Sender.Tell(_orders));
    }

    /// <param name="journal">Told when the order book stops (a test reads the order of events from it).</param>
    public static Props Props(Action<string>? journal = null) => Akka.Actor.Props.Create(() => new OrderBook(journal));

    protected override void PostStop() => _journal("order book stopped");
}
