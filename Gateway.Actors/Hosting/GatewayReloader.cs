using Akka.Actor;
using Gateway.Configuration;
using Gateway.Lifecycle;
using Gateway.Listeners;
using Gateway.Routing;
using Gateway.Upstreams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static Gateway.Lifecycle.DrainProtocol;

namespace Gateway.Hosting;

/// <summary>What a reload changed, for the log and the caller: every listener, upstream and route added, removed or
/// changed, the listeners it re-opened, and the keys that wait for a restart.</summary>
public sealed record ReloadReport(
    IReadOnlyList<string> AddedListeners,
    IReadOnlyList<string> RemovedListeners,
    IReadOnlyList<string> ChangedUpstreams,
    IReadOnlyList<string> Ignored)
{
    public IReadOnlyList<string> ChangedListeners { get; init; } = [];
    public IReadOnlyList<string> ReopenedListeners { get; init; } = [];
    public IReadOnlyList<string> AddedUpstreams { get; init; } = [];
    public IReadOnlyList<string> RemovedUpstreams { get; init; } = [];
    public IReadOnlyList<string> AddedRoutes { get; init; } = [];
    public IReadOnlyList<string> RemovedRoutes { get; init; } = [];
    public IReadOnlyList<string> ChangedRoutes { get; init; } = [];

    public override string ToString()
    {
        static string L(IReadOnlyList<string> names) => $"[{string.Join(", ", names)}]";
        var text = $"listeners +{L(AddedListeners)} -{L(RemovedListeners)} changed {L(ChangedListeners)} re-opened {L(ReopenedListeners)}; " +
                   $"upstreams +{L(AddedUpstreams)} -{L(RemovedUpstreams)} replaced {L(ChangedUpstreams)}; " +
                   $"routes +{L(AddedRoutes)} -{L(RemovedRoutes)} changed {L(ChangedRoutes)}";
        return Ignored.Count == 0 ? text : $"{text}; needs a restart: {string.Join("; ", Ignored)}";
    }
}

/// <summary>
/// Live reload in place: routes and upstreams swap atomically for new requests; a replaced or removed upstream
/// closes its pool once its in-flight requests are done; a removed listener drains (never aborted); a new listener
/// is bound and served by a Kestrel server of its own. A config that fails validation changes nothing.
/// </summary>
public sealed class GatewayReloader(GatewayRuntime runtime, IServiceProvider services, ILogger<GatewayReloader> logger) : IAsyncDisposable
{
    private readonly List<WebApplication> _addedServers = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Reads the running configuration's file again and applies it; a file that fails validation changes nothing and
    /// its problems are returned instead.
    /// </summary>
    public async Task<(ReloadReport? Report, GatewayConfigException? Rejected)> ReloadFileAsync()
    {
        var source = runtime.Settings.Source;
        try
        {
            // Exactly what `check` runs, on a thread of its own and within its time limit: no file can hold up or take down this process.
            var next = await GatewayConfigLoader.LoadAsync(source == GatewayConfigLoader.EmbeddedDefaultName ? null : source);
            var report = await ApplyAsync(next);
            // A cluster node replicates the routes and upstreams it applied; each node keeps its own listeners.
            if (runtime.Cluster is { } cluster) await cluster.PublishAsync(next);
            return (report, null);
        }
        catch (GatewayConfigException e)
        {
            logger.LogError(EventIds.ReloadRejected, "Reload rejected, the running configuration stays: {Reason}", e.Message);
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
        var current = runtime.Current;
        var now = current.Settings;
        var ignored = RestartOnly(now, next).ToList();

        var kept = runtime.Listeners.All.Where(l => next.Listeners.Any(n => n.Name == l.Name && SameAddress(n, l))).ToList();
        foreach (var listener in kept)
            if (next.Listeners.Single(n => n.Name == listener.Name).Protocol is var protocol && protocol != listener.Protocol)
                throw new GatewayConfigException(next.Source, $"gateway.listeners.{listener.Name}.protocol",
                    $"a reload cannot turn listener {listener.Name} from {Name(listener.Protocol)} into {Name(protocol)} on the same address: " +
                    "give it another name or address (the old one drains), or restart");
        var removed = runtime.Listeners.All.Except(kept).ToList();
        // Bind new listeners first: a port in use rejects the whole reload before anything changed, and gives back
        // whatever this reload had bound already (a later identical reload must find the address free).
        var added = BindAll(next, next.Listeners.Where(n => kept.All(k => k.Name != n.Name)));

        var changedListeners = new List<string>();
        foreach (var listener in kept)
        {
            var wanted = next.Listeners.Single(n => n.Name == listener.Name);
            var before = (listener.IdleTimeout, listener.Limits);
            // Read live by each tcp connection's drain: a changed idle timeout applies to open connections too.
            listener.IdleTimeout = wanted.IdleTimeout;
            // Per connection and request limits apply to what comes next; the Kestrel server's are fixed while it runs.
            listener.Limits = ServerLimits.Pin(wanted.Limits, now.Limits);
            // A kept listener keeps its Kestrel pipeline: TLS cannot be switched on or off in place, its certificates can.
            var tlsChanged = false;
            if (wanted.Tls is null != listener.Tls is null)
                ignored.Add($"gateway.listeners.{listener.Name}.tls");
            else if (wanted.Tls is not null && !wanted.Tls.Equals(listener.Tls!.Settings))
            {
                listener.Tls.Reload(wanted.Tls);
                tlsChanged = true;
            }
            if (tlsChanged || before != (listener.IdleTimeout, listener.Limits)) changedListeners.Add(listener.Name);
        }
        ignored.AddRange(ServerLimits.Changed(now.Limits, next.Limits));

        foreach (var listener in added)
            listener.Limits = ServerLimits.Pin(listener.Limits, now.Limits);

        var upstreams = next.Upstreams
            .Select(u => current.Upstreams.FirstOrDefault(h => SameUpstream(h.Settings, u))
                ?? new UpstreamHandle(u, predecessor: current.Upstreams.FirstOrDefault(h => h.Name == u.Name)))
            .ToList();
        var retiredUpstreams = current.Upstreams.Except(upstreams).ToList();

        // What needs a restart stays as it runs, so that /config shows what is in force.
        runtime.Swap(new GatewayRuntime.Snapshot(next with
            {
                Admin = now.Admin, Drain = now.Drain, Limits = now.Limits, AccessLog = now.AccessLog, JsonLogs = now.JsonLogs,
                Cluster = now.Cluster, IoThreads = now.IoThreads, HotRestart = now.HotRestart,
            }, upstreams,
            new RouteTable(next.Routes, upstreams, runtime.Metrics, next.ViaName)));
        runtime.Listeners.Replace(kept.Concat(added).ToList());

        var supervisor = runtime.Supervisor;
        var drain = new Drain(runtime.State.Time.GetUtcNow() + now.Drain.Deadline, DrainReason.Reload) { IdleClose = now.Drain.IdleClose };
        foreach (var upstream in upstreams.Except(current.Upstreams)) supervisor.Tell(new GatewaySupervisor.AddUpstream(upstream));
        foreach (var upstream in retiredUpstreams) supervisor.Tell(new GatewaySupervisor.RetireUpstream(upstream, drain));
        foreach (var listener in removed) supervisor.Tell(new GatewaySupervisor.RetireListener(listener.Name, drain));
        foreach (var listener in added)
        {
            supervisor.Tell(new GatewaySupervisor.AddListener(listener));
            if (listener.Protocol == ListenerProtocol.Tcp)
                runtime.Tcp!.Serve(listener);
            else
                await StartServerAsync(listener);
        }
        var reopened = await ReopenDrainedAsync(kept);

        var oldUpstreams = now.Upstreams.Select(u => u.Name).ToHashSet();
        var newUpstreams = next.Upstreams.Select(u => u.Name).ToHashSet();
        var oldRoutes = now.Routes.ToDictionary(r => r.Name);
        var report = new ReloadReport(
            added.Select(l => $"{l.Name} ({l.Address})").ToList(),
            removed.Select(l => l.Name).ToList(),
            retiredUpstreams.Select(u => u.Name).Where(newUpstreams.Contains).Distinct().ToList(),
            ignored)
        {
            ChangedListeners = changedListeners,
            ReopenedListeners = reopened,
            AddedUpstreams = [.. newUpstreams.Except(oldUpstreams)],
            RemovedUpstreams = [.. oldUpstreams.Except(newUpstreams)],
            AddedRoutes = [.. next.Routes.Where(r => !oldRoutes.ContainsKey(r.Name)).Select(r => r.Name)],
            RemovedRoutes = [.. now.Routes.Where(r => next.Routes.All(n => n.Name != r.Name)).Select(r => r.Name)],
            ChangedRoutes = [.. next.Routes.Where(r => oldRoutes.TryGetValue(r.Name, out var old) && !old.Equals(r)).Select(r => r.Name)],
        };
        logger.LogInformation(EventIds.Reloaded, "Reloaded {Source}: {Report}", next.Source, report);
        // Certificate files may have been replaced without the config changing: a reload reads them again too.
        services.GetService<Tls.TlsService>()?.Reload("config reload");
        return report;
    }

    /// <summary>Binds every listener the reload adds; when one cannot be bound, closes those bound before it and throws.</summary>
    private static List<ListenerHandle> BindAll(GatewaySettings next, IEnumerable<ListenerSettings> wanted)
    {
        var bound = new List<ListenerHandle>();
        try
        {
            foreach (var listener in wanted)
            {
                var handle = GatewayHostingExtensions.BindOrExplain(next, $"gateway.listeners.{listener.Name}.address",
                    () => ListenerHandle.Bind(listener.Name, listener.Address)).Configure(listener);
                bound.Add(handle);
                GatewayHostingExtensions.WithCertificates(next, listener, handle);
            }
            return bound;
        }
        catch
        {
            foreach (var handle in bound) handle.Close();
            throw;
        }
    }

    /// <summary>A listener drained alone that is still in the file accepts again (the gateway's own drain stays as it is).</summary>
    private async Task<List<string>> ReopenDrainedAsync(IEnumerable<ListenerHandle> kept)
    {
        var reopened = new List<string>();
        if (!runtime.State.Ready) return reopened;
        foreach (var listener in kept.Where(l => !l.Accepting && runtime.ListenerState(l.Name).Phase is not GatewayPhase.Serving))
        {
            var answer = await TreeAsk.AskOrStopped<DrainCommands.Undrained>(runtime.Driver, new DrainCommands.Undrain(listener.Name), TimeSpan.FromSeconds(15));
            if (answer?.Result == UndrainResult.Serving) reopened.Add(listener.Name);
            else logger.LogWarning(EventIds.Reloaded, "Reload: listener {Listener} stays drained: {Reason}", listener.Name, answer?.ToString() ?? "no answer");
        }
        return reopened;
    }

    /// <summary>The keys a reload cannot apply in place: they wait for a (hot) restart, and the report says so.</summary>
    private static IEnumerable<string> RestartOnly(GatewaySettings now, GatewaySettings next)
    {
        if (!next.Admin.Address.Equals(now.Admin.Address)) yield return "gateway.admin.address";
        if (next.Admin.Token != now.Admin.Token) yield return "gateway.admin.token";
        if (next.Drain != now.Drain) yield return "gateway.drain";
        if (next.AccessLog != now.AccessLog) yield return "gateway.access-log";
        if (next.JsonLogs != now.JsonLogs) yield return "gateway.log.format";
        if (next.IoThreads != now.IoThreads) yield return "gateway.io-threads";
        if (next.HotRestart != now.HotRestart) yield return "gateway.hot-restart";
        if (!next.Cluster.SeedNodes.SequenceEqual(now.Cluster.SeedNodes)
            || next.Cluster with { SeedNodes = Array.Empty<System.Net.DnsEndPoint>() } != now.Cluster with { SeedNodes = Array.Empty<System.Net.DnsEndPoint>() })
            yield return "gateway.cluster";
    }

    /// <summary>Kestrel cannot add endpoints while it runs, so each listener added by a reload gets a server of its own.</summary>
    private async Task StartServerAsync(ListenerHandle listener)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(runtime.Listeners);
        builder.Services.AddSingleton<IConnectionListenerFactory, Listeners.RecordingListenerFactory>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            GatewayHostingExtensions.ConfigureServer(kestrel, runtime.Current.Settings.Limits);
            GatewayHostingExtensions.ListenOn(kestrel, runtime, listener);
        });
        var app = builder.Build();
        var handler = services.GetRequiredService<GatewayRequestHandler>();
        GatewayHostingExtensions.UseWebSocketHandshakes(app);
        app.Run(context => GatewayRequestHandler.ConnectionOf(context) is { } connection
            ? GatewayHostingExtensions.Serve(context, connection, handler)
            : Task.CompletedTask);
        await app.StartAsync();
        _addedServers.Add(app);
    }

    private static string Name(ListenerProtocol protocol) => protocol.ToString().ToLowerInvariant();

    private static bool SameAddress(ListenerSettings wanted, ListenerHandle bound) =>
        wanted.Address.Port == 0 ? wanted.Address.Address.Equals(bound.Address.Address) : wanted.Address.Equals(bound.Address);

    /// <summary>Every setting equal (the endpoint list by its items): the running pool and its endpoint states stay.</summary>
    private static bool SameUpstream(UpstreamSettings a, UpstreamSettings b) =>
        a.Endpoints.SequenceEqual(b.Endpoints) && a with { Endpoints = b.Endpoints } == b;

    /// <summary>Stops the servers of added listeners (after the drain, their connections are gone).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var app in _addedServers)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
