using Akka.Actor;
using Gateway.Configuration;
using Gateway.Lifecycle;
using Gateway.Routing;
using Gateway.Upstreams;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Hosting;

/// <summary>
/// Live reload in place: routes and upstreams swap atomically for new requests; a replaced or removed upstream
/// closes its pool once its in-flight requests are done; a removed listener drains (never aborted); a new listener
/// is bound and served by a Kestrel server of its own. A config that fails validation changes nothing.
/// </summary>
internal sealed partial class GatewayReloader : IAsyncDisposable
{
    private readonly GatewayRuntime _runtime;
    private readonly IServiceProvider _services;
    private readonly ILogger<GatewayReloader> _logger;
    private readonly AddedListenerServers _servers;
    private readonly SemaphoreSlim _gate = new(1, 1);

    public GatewayReloader(GatewayRuntime runtime, IServiceProvider services, GatewayRequestHandler handler, ILogger<GatewayReloader> logger)
    {
        (_runtime, _services, _logger) = (runtime, services, logger);
        _servers = new AddedListenerServers(runtime, handler);
    }

    /// <summary>
    /// Reads the running configuration's file again and applies it; a file that fails validation changes nothing and
    /// its problems are returned instead.
    /// </summary>
    public async Task<(ReloadReport? Report, GatewayConfigException? Rejected)> ReloadFileAsync()
    {
        var source = _runtime.Settings.Source;
        try
        {
            // Exactly what `check` runs, on a thread of its own and within its time limit: no file can hold up or take down this process.
            var next = await GatewayConfigLoader.LoadAsync(source == GatewayConfigLoader.EmbeddedDefaultName ? null : source);
            var report = await ApplyAsync(next);
            // A cluster node replicates the routes and upstreams it applied; each node keeps its own listeners.
            if (_runtime.Cluster is { } cluster) await cluster.PublishAsync(next);
            return (report, null);
        }
        catch (GatewayConfigException e)
        {
            Log.Rejected(_logger, e.Message);
            return (null, e);
        }
    }

    /// <summary>Applies <paramref name="next"/>; throws <see cref="GatewayConfigException"/> (changing nothing) when a new address cannot be bound.</summary>
    public async Task<ReloadReport> ApplyAsync(GatewaySettings next)
    {
        await _gate.WaitAsync();
        try
        {
            return await ApplyLockedAsync(next);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ReloadReport> ApplyLockedAsync(GatewaySettings next)
    {
        var current = _runtime.Current;
        var now = current.Settings;
        var ignored = RestartOnlySettings.Changed(now, next).ToList();
        var listeners = ListenerReload.Apply(_runtime.Listeners.All, now, next, _runtime.Time);
        ignored.AddRange(listeners.RestartOnly);
        ignored.AddRange(ServerLimits.Changed(now.Limits, next.Limits));

        // Every setting equal: the running pool and its endpoint states stay.
        var upstreams = next.Upstreams
            .Select(u => current.Upstreams.FirstOrDefault(h => SameUpstream(h.Settings, u))
                ?? new UpstreamHandle(u, _runtime.Time, predecessor: current.Upstreams.FirstOrDefault(h => h.Name == u.Name)))
            .ToList();
        var retiredUpstreams = current.Upstreams.Except(upstreams).ToList();

        _runtime.Swap(new GatewayRuntime.Snapshot(RestartOnlySettings.Kept(now, next), upstreams,
            new RouteTable(next.Routes, upstreams, _runtime.Metrics, next.ViaName)));
        _runtime.Listeners.Replace([.. listeners.Kept, .. listeners.Added]);

        var supervisor = _runtime.Supervisor;
        var drain = new Drain(_runtime.State.Time.GetUtcNow() + now.Drain.Deadline, DrainReason.Reload) { IdleClose = now.Drain.IdleClose };
        foreach (var upstream in upstreams.Except(current.Upstreams)) supervisor.Tell(new GatewaySupervisor.AddUpstream(upstream));
        foreach (var upstream in retiredUpstreams) supervisor.Tell(new GatewaySupervisor.RetireUpstream(upstream, drain));
        foreach (var listener in listeners.Removed) supervisor.Tell(new GatewaySupervisor.RetireListener(listener.Name, drain));
        foreach (var listener in listeners.Added)
        {
            supervisor.Tell(new GatewaySupervisor.AddListener(listener));
            if (listener.Protocol == ListenerProtocol.Tcp)
                _runtime.Tcp!.Serve(listener);
            else
                await _servers.StartAsync(listener);
        }
        var reopened = await ReopenDrainedAsync(listeners.Kept);

        var oldUpstreams = now.Upstreams.Select(u => u.Name).ToHashSet();
        var newUpstreams = next.Upstreams.Select(u => u.Name).ToHashSet();
        var oldRoutes = now.Routes.ToDictionary(r => r.Name);
        var report = new ReloadReport(
            listeners.Added.Select(l => $"{l.Name} ({l.Address})").ToList(),
            listeners.Removed.Select(l => l.Name).ToList(),
            retiredUpstreams.Select(u => u.Name).Where(newUpstreams.Contains).Distinct().ToList(),
            ignored)
        {
            ChangedListeners = listeners.Changed,
            ReopenedListeners = reopened,
            AddedUpstreams = [.. newUpstreams.Except(oldUpstreams)],
            RemovedUpstreams = [.. oldUpstreams.Except(newUpstreams)],
            AddedRoutes = [.. next.Routes.Where(r => !oldRoutes.ContainsKey(r.Name)).Select(r => r.Name)],
            RemovedRoutes = [.. now.Routes.Where(r => next.Routes.All(n => n.Name != r.Name)).Select(r => r.Name)],
            ChangedRoutes = [.. next.Routes.Where(r => oldRoutes.TryGetValue(r.Name, out var old) && !old.Equals(r)).Select(r => r.Name)],
        };
        Log.Reloaded(_logger, next.Source, report);
        // Certificate files may have been replaced without the config changing: a reload reads them again too.
        _services.GetService<Tls.TlsService>()?.Reload("config reload");
        return report;
    }

    /// <summary>A listener drained alone that is still in the file accepts again (the gateway's own drain stays as it is).</summary>
    private async Task<List<string>> ReopenDrainedAsync(IEnumerable<Listeners.ListenerHandle> kept)
    {
        var reopened = new List<string>();
        if (!_runtime.State.Ready) return reopened;
        foreach (var listener in kept.Where(l => !l.Accepting && _runtime.ListenerState(l.Name).Phase is not GatewayPhase.Serving))
        {
            var answer = await TreeAsk.AskOrStopped<DrainCommands.Undrained>(_runtime.Driver, new DrainCommands.Undrain(listener.Name), TimeSpan.FromSeconds(15));
            if (answer?.Result == UndrainResult.Serving) reopened.Add(listener.Name);
            else Log.StaysDrained(_logger, listener.Name, answer?.ToString() ?? "no answer");
        }
        return reopened;
    }

    /// <summary>Every setting equal (the endpoint list by its items).</summary>
    private static bool SameUpstream(UpstreamSettings a, UpstreamSettings b) =>
        a.Endpoints.SequenceEqual(b.Endpoints) && a with { Endpoints = b.Endpoints } == b;

    /// <summary>Stops the servers of added listeners (after the drain, their connections are gone).</summary>
    public ValueTask DisposeAsync() => _servers.DisposeAsync();

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ReloadRejected, Level = LogLevel.Error, Message = "Reload rejected, the running configuration stays: {Reason}")]
        public static partial void Rejected(ILogger logger, string reason);

        [LoggerMessage(EventId = EventIds.Reloaded, Level = LogLevel.Information, Message = "Reloaded {Source}: {Report}")]
        public static partial void Reloaded(ILogger logger, string source, ReloadReport report);

        [LoggerMessage(EventId = EventIds.Reloaded, Level = LogLevel.Warning, Message = "Reload: listener {Listener} stays drained: {Reason}")]
        public static partial void StaysDrained(ILogger logger, string listener, string reason);
    }
}
