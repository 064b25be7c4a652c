using Akka.Actor;
using Akka.Event;
using Gateway.Lifecycle;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Upstreams;

/// <summary>
/// Owns one upstream's connection pool. It drains after the listeners: it waits until no request is being
/// forwarded, then closes the pool; at the deadline it closes it regardless.
/// </summary>
public sealed class UpstreamActor : ReceiveActor, IWithTimers
{
    private sealed record Idle
    {
        public static readonly Idle Instance = new();
    }

    private readonly IUpstreamPort _port;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly List<IActorRef> _requesters = [];
    private Drain? _drain;

    public UpstreamActor(IUpstreamPort port)
    {
        _port = port;
        Receive<Drain>(OnDrain);
        Receive<Idle>(_ => Finish(DrainOutcome.Completed, DrainCounts.None));
        Receive<DeadlineReached>(_ =>
        {
            _log.Warning("Upstream {0}: closing the pool with {1} request(s) still in flight at the deadline", _port.Name, _port.InFlight);
            Finish(DrainOutcome.DeadlineExceeded, DrainCounts.None);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(IUpstreamPort port) => Akka.Actor.Props.Create(() => new UpstreamActor(port));

    private void OnDrain(Drain drain)
    {
        var first = _drain is null;
        _drain = first ? drain : _drain!.Earliest(drain);
        if (!_requesters.Contains(Sender)) _requesters.Add(Sender);
        Timers.StartSingleTimer(DeadlineReached.Instance, DeadlineReached.Instance, _drain.Remaining(Context.System.Scheduler));
        if (first)
        {
            var self = Self;
            _port.WhenIdle().ContinueWith(_ => self.Tell(Idle.Instance), TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    private void Finish(DrainOutcome outcome, DrainCounts counts)
    {
        _port.Close();
        foreach (var requester in _requesters)
            requester.Tell(new DrainComplete(Self.Path.Name, outcome, counts));
        Context.Stop(Self);
    }
}
