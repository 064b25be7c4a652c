using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.TestKit;

namespace Gateway.Tests.Simulation;

/// <summary>
/// Akka's <see cref="TestScheduler"/>, which also says when its next work is due, so that a simulation jumps from
/// timer to timer. It sees every timer as it is scheduled (it re-implements the scheduling interfaces and hands each
/// call on to the TestScheduler unchanged) and as it fires (the receiver or action it hands on tells it), and mirrors
/// the TestScheduler's own rules: work that comes due during an advance waits for the next one, a repeating timer is
/// due again an interval after the advance that fired it, a cancelled one leaves when an advance reaches it.
/// </summary>
public sealed class SimulationScheduler : TestScheduler, ITellScheduler, IActionScheduler
{
    /// <summary>The value of <c>akka.scheduler.implementation</c> that installs it.</summary>
    public static readonly string Implementation = $"{typeof(SimulationScheduler).FullName}, {typeof(SimulationScheduler).Assembly.GetName().Name}";

    private readonly Lock _lock = new();
    private readonly PriorityQueue<Timer, long> _pending = new();
    private long? _firing;

    public SimulationScheduler(Config schedulerConfig, ILoggingAdapter log) : base(schedulerConfig, log)
    {
    }

    // A scheduling method this class does not see (one a newer Akka adds) would leave a timer the simulation never
    // steps to: refuse to run rather than play a wrong timeline.
    static SimulationScheduler()
    {
        foreach (var contract in new[] { typeof(ITellScheduler), typeof(IActionScheduler) })
            if (typeof(SimulationScheduler).GetInterfaceMap(contract).TargetMethods.FirstOrDefault(m => m.DeclaringType != typeof(SimulationScheduler)) is { } unseen)
                throw new InvalidOperationException($"{contract.Name}.{unseen.Name} reaches the TestScheduler without {nameof(SimulationScheduler)} seeing it: add it here");
    }

    /// <summary>The first virtual time at which work waits (it may be now: work that came due during an advance), or null when none does.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_lock)
            {
                while (_pending.TryPeek(out var timer, out var due))
                {
                    if (!timer.Done && timer.Due == due) return new DateTimeOffset(due, TimeSpan.Zero);
                    _pending.Dequeue();
                }
                return null;
            }
        }
    }

    /// <summary>Advances virtual time to <paramref name="when"/> (running what is due), as <see cref="TestScheduler.AdvanceTo"/> does.</summary>
    public void Step(DateTimeOffset when)
    {
        AdvanceTo(when);
        Retire();
    }

    /// <summary>Runs the work due now without moving time (zero-delay timers, work that came due during the last advance).</summary>
    public void RunDue()
    {
        Advance(TimeSpan.Zero);
        Retire();
    }

    /// <summary>A cancelled timer that an advance reached is dropped by the TestScheduler without firing: drop it here too.</summary>
    private void Retire()
    {
        var now = Now.UtcTicks;
        lock (_lock)
        {
            while (_pending.TryPeek(out var timer, out var due) && due <= now && (timer.Done || timer.Due != due || timer.Cancelled))
            {
                if (timer.Due == due) timer.Done = true;
                _pending.Dequeue();
            }
        }
    }

    private Timer Track(TimeSpan delay, TimeSpan? interval, ICancelable? cancelable)
    {
        var timer = new Timer(this, interval, cancelable) { Due = Now.Add(delay).UtcTicks };
        lock (_lock)
        {
            // The TestScheduler drops the work of a tick once it ran it, with what was added to that tick meanwhile.
            if (timer.Due == _firing) timer.Done = true;
            else _pending.Enqueue(timer, timer.Due);
        }
        return timer;
    }

    /// <summary>
    /// Runs <paramref name="deliver"/>, the TestScheduler's delivery of <paramref name="timer"/> within an advance
    /// (<see cref="TestScheduler.Now"/> is the advance's target), and notes it: fired for good, or due again.
    /// </summary>
    private void Fire(Timer timer, Action deliver)
    {
        lock (_lock)
        {
            _firing = timer.Due;
            if (timer.Interval is { } interval)
            {
                timer.Due = Now.Add(interval).UtcTicks;
                _pending.Enqueue(timer, timer.Due);
            }
            else timer.Done = true;
        }
        try
        {
            deliver();
        }
        finally
        {
            lock (_lock) _firing = null;
        }
    }

    void ITellScheduler.ScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender) =>
        ScheduleTellOnce(delay, Track(delay, null, null).Telling(receiver), message, sender);

    void ITellScheduler.ScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        ScheduleTellOnce(delay, Track(delay, null, cancelable).Telling(receiver), message, sender, cancelable);

    void ITellScheduler.ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender) =>
        ScheduleTellRepeatedly(initialDelay, interval, Track(initialDelay, interval, null).Telling(receiver), message, sender);

    void ITellScheduler.ScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        ScheduleTellRepeatedly(initialDelay, interval, Track(initialDelay, interval, cancelable).Telling(receiver), message, sender, cancelable);

    // The TestScheduler runs a ScheduleOnce action even when its cancelable was cancelled: so it is tracked as never cancelled.
    void IActionScheduler.ScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        ScheduleOnce(delay, Track(delay, null, null).Running(action), cancelable);

    void IActionScheduler.ScheduleOnce(TimeSpan delay, Action action) =>
        ScheduleOnce(delay, Track(delay, null, null).Running(action));

    void IActionScheduler.ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        ScheduleRepeatedly(initialDelay, interval, Track(initialDelay, interval, cancelable).Running(action), cancelable);

    void IActionScheduler.ScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action) =>
        ScheduleRepeatedly(initialDelay, interval, Track(initialDelay, interval, null).Running(action));

    /// <summary>One scheduled timer: when it is due next, and whether it has fired for good.</summary>
    private sealed class Timer(SimulationScheduler scheduler, TimeSpan? interval, ICancelable? cancelable)
    {
        public long Due { get; set; }

        public bool Done { get; set; }

        public TimeSpan? Interval => interval;

        public bool Cancelled => cancelable?.IsCancellationRequested == true;

        public ICanTell Telling(ICanTell receiver) => new Receiver(this, receiver);

        public Action Running(Action action) => () => scheduler.Fire(this, action);

        public void Deliver(Action tell) => scheduler.Fire(this, tell);
    }

    /// <summary>The receiver the TestScheduler tells: notes the delivery, then tells the real one.</summary>
    private sealed class Receiver(Timer timer, ICanTell target) : ICanTell
    {
        public void Tell(object message, IActorRef sender) => timer.Deliver(() => target.Tell(message, sender));
    }
}
