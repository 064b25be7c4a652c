using Akka.Actor;
using Xunit;

namespace Gateway.Tests.Simulation;

/// <summary>The simulation's scheduler knows when the TestScheduler's next work is due, by its public API alone.</summary>
public sealed class SimulationSchedulerSpecs : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("scheduler", $"akka.scheduler.implementation = \"{SimulationScheduler.Implementation}\"");

    private SimulationScheduler Clock => (SimulationScheduler)_system.Scheduler;

    [Fact]
    public void A_timer_is_due_at_its_time_and_gone_once_it_fired()
    {
        var start = Clock.Now;
        var fired = new List<DateTimeOffset>();
        Clock.Advanced.ScheduleOnce(TimeSpan.FromSeconds(5), () => fired.Add(Clock.Now));
        Clock.Advanced.ScheduleOnce(TimeSpan.FromSeconds(2), () => fired.Add(Clock.Now));

        Assert.Equal(start + TimeSpan.FromSeconds(2), Clock.NextDue);
        Clock.Step(Clock.NextDue!.Value);
        Assert.Equal(start + TimeSpan.FromSeconds(5), Clock.NextDue);
        Clock.Step(Clock.NextDue!.Value);

        Assert.Equal([start + TimeSpan.FromSeconds(2), start + TimeSpan.FromSeconds(5)], fired);
        Assert.Null(Clock.NextDue);
    }

    [Fact]
    public void A_repeating_timer_is_due_an_interval_after_the_step_that_fired_it_until_cancelled()
    {
        var start = Clock.Now;
        var ticks = 0;
        var cancel = new Cancelable(_system.Scheduler);
        Clock.Advanced.ScheduleRepeatedly(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), () => ticks++, cancel);

        Clock.Step(start + TimeSpan.FromMilliseconds(1500)); // fires late, as a TestScheduler advance past it does
        Assert.Equal(1, ticks);
        Assert.Equal(start + TimeSpan.FromMilliseconds(4500), Clock.NextDue);

        cancel.Cancel();
        Assert.Equal(start + TimeSpan.FromMilliseconds(4500), Clock.NextDue); // held until a step reaches it, as the TestScheduler holds it
        Clock.Step(start + TimeSpan.FromMilliseconds(4500));
        Assert.Equal(1, ticks);
        Assert.Null(Clock.NextDue);
    }

    [Fact]
    public void Work_that_comes_due_during_a_step_is_due_now_and_runs_on_the_next()
    {
        var start = Clock.Now;
        var ran = new List<string>();
        Clock.Advanced.ScheduleOnce(TimeSpan.FromSeconds(1), () =>
        {
            ran.Add("late");
            Clock.Advanced.ScheduleOnce(TimeSpan.Zero, () => ran.Add("zero-delay"));
        });

        Clock.Step(start + TimeSpan.FromSeconds(2)); // past the timer: the zero-delay work is due at 2s
        Assert.Equal(["late"], ran);
        Assert.Equal(Clock.Now, Clock.NextDue);
        Clock.RunDue();
        Assert.Equal(["late", "zero-delay"], ran);
        Assert.Null(Clock.NextDue);
    }

    [Fact]
    public void Work_added_to_the_tick_being_run_is_dropped_as_the_TestScheduler_drops_it()
    {
        var start = Clock.Now;
        var ran = new List<string>();
        Clock.Advanced.ScheduleOnce(TimeSpan.FromSeconds(1), () =>
        {
            ran.Add("on time");
            Clock.Advanced.ScheduleOnce(TimeSpan.Zero, () => ran.Add("zero-delay"));
        });

        Clock.Step(start + TimeSpan.FromSeconds(1));
        Assert.Null(Clock.NextDue);
        Clock.RunDue();
        Clock.Step(start + TimeSpan.FromSeconds(5));
        Assert.Equal(["on time"], ran);
    }

    [Fact]
    public async Task A_message_timer_of_an_actor_is_seen_as_the_timer_of_a_simulation_is()
    {
        var start = Clock.Now;
        var inbox = Inbox.Create(_system);
        _system.Scheduler.ScheduleTellOnce(TimeSpan.FromSeconds(30), inbox.Receiver, "deadline", ActorRefs.NoSender);

        Assert.Equal(start + TimeSpan.FromSeconds(30), Clock.NextDue);
        Clock.Step(start + TimeSpan.FromSeconds(30));
        Assert.Equal("deadline", await inbox.ReceiveAsync(TimeSpan.FromSeconds(10)));
        Assert.Null(Clock.NextDue);
    }

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));
}
