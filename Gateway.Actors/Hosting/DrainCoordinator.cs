using Akka.Actor;
using Microsoft.Extensions.Hosting;

namespace Gateway.Hosting;

/// <summary>
/// Runs CoordinatedShutdown (and so the drain) when the host begins to stop: <c>StoppingAsync</c> runs before any
/// hosted service's <c>StopAsync</c>, so Kestrel and the actor system are both still up while the gateway drains.
/// Akka's own signal hook is off (reference.conf): it would run the whole shutdown before Kestrel drains.
/// </summary>
internal sealed class DrainCoordinator(ActorSystem system) : IHostedLifecycleService
{
    public Task StoppingAsync(CancellationToken cancellationToken) =>
        CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
