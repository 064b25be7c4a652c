using Akka.Actor;
using Akka.TestKit;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Gateway.Upstreams;
using Xunit.Abstractions;
using Gateway.Tests.Simulation;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Tests.Lifecycle;

/// <summary>
/// Shared setup for the drain-protocol specs: an actor system on virtual time (deadlines only move when a test calls
/// <see cref="TestScheduler.Advance"/>), the production Props, and simulated ports writing to one journal.
/// </summary>
public abstract partial class GatewaySpec : Akka.TestKit.Xunit2.TestKit
{
    private const string VirtualTime = """
        akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
        akka.loglevel = INFO
        """;

    /// <summary>Real time for messages to arrive; virtual time is what the tests control.</summary>
    protected static readonly TimeSpan Arrival = TimeSpan.FromSeconds(3);

    /// <summary>Real time during which "nothing happens" must hold.</summary>
    protected static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(300);

    protected GatewaySpec(ITestOutputHelper output) : base(VirtualTime, output)
        => Journal = new SimulatedJournal(Sys.Scheduler);

    protected SimulatedJournal Journal { get; }

    protected TestScheduler Clock => (TestScheduler)Sys.Scheduler;

    protected DateTimeOffset DeadlineIn(TimeSpan fromNow) => Clock.Now + fromNow;

    protected Drain GracefulDrain(TimeSpan fromNow) => new(DeadlineIn(fromNow), DrainReason.Shutdown);

    protected IActorRef StartGateway(IEnumerable<IListenerPort> listeners, params IUpstreamPort[] upstreams) =>
        Sys.ActorOf(GatewayTree.Props([.. listeners], upstreams), GatewayTree.Name);

    /// <summary>As above, with the random source that spreads idle closes fixed (a seed makes each moment known).</summary>
    protected IActorRef StartGateway(IEnumerable<IListenerPort> listeners, Random random) =>
        Sys.ActorOf(GatewayTree.Props([.. listeners], [], random), GatewayTree.Name);

    protected SimulatedListener Listener(string name, bool holdUnbind = false) => new(name, Journal, holdUnbind);

    protected SimulatedUpstream Upstream(string name, int inFlight = 0) => new(name, Journal, inFlight);

    /// <summary>Introduces a connection the way Kestrel does in production: through the gateway.</summary>
    protected SimulatedConnection Accept(IActorRef gateway, string listener, string id, int inFlight = 0, bool throwOnRequestClose = false)
    {
        var connection = new SimulatedConnection(id, Journal, inFlight) { ThrowOnRequestClose = throwOnRequestClose };
        gateway.Tell(GatewayTree.ConnectionAccepted(listener, connection));
        return connection;
    }

    /// <summary>
    /// The live actor at <paramref name="path"/> (a connection's path: <c>/user/gateway/listener-a/conn-a1</c>, wherever
    /// its group is); retried because children are created asynchronously.
    /// </summary>
    protected async Task<IActorRef> ResolveAsync(string path)
    {
        var selection = ConnectionPath().Replace(path, "$1/*/$2");
        var probe = CreateTestProbe();
        var until = DateTime.UtcNow + Arrival;
        while (true)
        {
            // A wildcard that matches nothing is not answered: an empty wait is a miss, like an empty identity.
            Sys.ActorSelection(selection).Tell(new Identify(path), probe.Ref);
            var identity = await probe.ReceiveOneAsync(TimeSpan.FromMilliseconds(200)) as ActorIdentity;
            if (identity?.Subject is { } found) return found;
            if (DateTime.UtcNow > until) throw new Xunit.Sdk.XunitException($"no actor at {path}");
            await Task.Delay(20);
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^(.*/listener-[^/]+)/(conn-[^/]+)$")]
    private static partial System.Text.RegularExpressions.Regex ConnectionPath();

    /// <summary>Waits (real time) until a port call has happened; the actors run on other threads.</summary>
    protected Task Eventually(Func<bool> condition, string what) =>
        AwaitConditionAsync(() => Task.FromResult(condition()), Arrival, message: what);

    /// <summary>Lets in-flight actor messages settle and asserts the requester got nothing meanwhile.</summary>
    protected async Task ExpectNothingAsync() => await ExpectNoMsgAsync(Quiet);
}
