using Gateway.Connections;
using Gateway.Listeners;
using Gateway.Upstreams;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Lifecycle;

/// <summary>
/// What the world around the tree tells the supervisor besides <see cref="DrainProtocol"/>: the connections Kestrel
/// and the tcp relay accept, what a reload adds and removes, and a listener's own drain (through its driver).
/// </summary>
internal partial class GatewaySupervisor
{
    /// <summary>A connection accepted by the named listener; forwarded to its <see cref="ListenerActor"/>.</summary>
    public sealed record ConnectionAccepted(string Listener, IConnectionPort Connection)
    {
        public override string ToString() => $"ConnectionAccepted({Listener}, {Connection.Id})";
    }

    /// <summary>A reload added a listener (its socket is bound and served); it gets its own ListenerActor.</summary>
    public sealed record AddListener(IListenerPort Port)
    {
        public override string ToString() => $"AddListener({Port.Name})";
    }

    /// <summary>A reload removed a listener: it drains (stops accepting, its connections finish) and stops.</summary>
    public sealed record RetireListener(string Name, Drain Drain)
    {
        public override string ToString() => $"RetireListener({Name})";
    }

    /// <summary>
    /// A drain of one listener (its own <see cref="DrainDriver"/>): <paramref name="Message"/> goes to that listener's
    /// actor as if sent by the driver, and its answers go straight back to the driver.
    /// </summary>
    public sealed record ToListener(string Name, object Message)
    {
        public override string ToString() => $"ToListener({Name}, {Message})";
    }

    /// <summary>A reload added (or replaced) an upstream pool.</summary>
    public sealed record AddUpstream(IUpstreamPort Port)
    {
        public override string ToString() => $"AddUpstream({Port.Name})";
    }

    /// <summary>A reload removed (or replaced) an upstream pool: it closes once its in-flight requests are done.</summary>
    public sealed record RetireUpstream(IUpstreamPort Port, Drain Drain)
    {
        public override string ToString() => $"RetireUpstream({Port.Name})";
    }
}
