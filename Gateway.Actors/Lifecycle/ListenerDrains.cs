using Akka.Actor;
using Microsoft.Extensions.Logging;
using static Gateway.Lifecycle.DrainCommands;

namespace Gateway.Lifecycle;

/// <summary>
/// The gateway driver's drains of single listeners: each is a child <see cref="DrainDriver"/> scoped to its listener
/// (made on first use), to which the commands naming that listener go. An undrain of the gateway while it serves
/// takes every one of them back, and is answered once they all have.
/// </summary>
internal sealed class ListenerDrains(IActorRef tree, DrainTimeline timeline, DrainHooks hooks, TimeProvider time, ILogger logger)
{
    private readonly Dictionary<string, IActorRef> _drivers = [];
    private Undrain _undrain = new();

    /// <summary>A command for <paramref name="listener"/> goes to its driver, or is answered here (unknown, not draining, busy).</summary>
    public void Route(IActorContext context, object command, string listener, GatewayPhase phase)
    {
        var sender = context.Sender;
        if (!hooks.ListenerExists(listener))
        {
            sender.Tell(command is Begin ? new Begun(BeginResult.UnknownListener, phase) : new Undrained(UndrainResult.UnknownListener));
            return;
        }
        if (command is Begin && phase != GatewayPhase.Serving)
        {
            sender.Tell(new Begun(BeginResult.AlreadyDraining, phase));
            return;
        }
        if (!_drivers.TryGetValue(listener, out var driver))
        {
            if (command is DrainCommands.Undrain)
            {
                sender.Tell(new Undrained(UndrainResult.NotDraining));
                return;
            }
            var mirror = hooks.ListenerState?.Invoke(listener) ?? new GatewayState(time);
            driver = context.ActorOf(Props.Create(() => new DrainDriver(tree, timeline, mirror, DrainHooks.None, logger, listener)),
                "listener-" + Uri.EscapeDataString(listener));
            _drivers[listener] = driver;
        }
        driver.Tell(command switch
        {
            Begin begin => begin with { Listener = null },
            _ => new DrainCommands.Undrain(),
        }, sender);
    }

    /// <summary>The gateway serves again: so does every listener drained alone.</summary>
    public void ServeAll()
    {
        foreach (var driver in _drivers.Values) driver.Tell(new DrainCommands.Undrain());
    }

    /// <summary>The gateway serves but listeners were drained alone: an undrain of the gateway takes those back.</summary>
    public void UndrainAll(IActorRef requester)
    {
        if (_drivers.Count == 0)
        {
            requester.Tell(new Undrained(UndrainResult.NotDraining));
            return;
        }
        _undrain.Requesters.Add(requester);
        if (_undrain.Pending.Count > 0) return;
        foreach (var driver in _drivers.Values)
        {
            _undrain.Pending.Add(driver);
            driver.Tell(new DrainCommands.Undrain());
        }
    }

    /// <summary>A listener's driver answered; once all have, the gateway's undrain is answered for them.</summary>
    public void Answered(IActorRef driver, Undrained answer)
    {
        var undrain = _undrain;
        if (!undrain.Pending.Remove(driver)) return;
        if (answer.Result == UndrainResult.Failed || undrain.Answer.Result != UndrainResult.Failed && answer.Result == UndrainResult.Serving)
            undrain.Answer = answer;
        if (undrain.Pending.Count > 0) return;
        foreach (var requester in undrain.Requesters) requester.Tell(undrain.Answer);
        _undrain = new Undrain();
    }

    /// <summary>An undrain of the gateway that waits for the listeners drained alone.</summary>
    private sealed class Undrain
    {
        public List<IActorRef> Requesters { get; } = [];
        public HashSet<IActorRef> Pending { get; } = [];
        public Undrained Answer { get; set; } = new(UndrainResult.NotDraining);
    }
}
