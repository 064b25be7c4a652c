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

/// <summary>What a reload changed, for the log and the caller.</summary>
public sealed record ReloadReport(
    IReadOnlyList<string> AddedListeners,
    IReadOnlyList<string> RemovedListeners,
    IReadOnlyList<string> ChangedUpstreams,
    IReadOnlyList<string> Ignored)
{
    public override string ToString() =>
        $"listeners +[{string.Join(", ", AddedListeners)}] -[{string.Join(", ", RemovedListeners)}], " +
        $"upstreams replaced [{string.Join(", ", ChangedUpstreams)}]" +
        (Ignored.Count == 0 ? "" : $"; needs a restart: {string.Join("; ", Ignored)}");
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
        var ignored = new List<string>();
        if (!next.Admin.Address.Equals(current.Settings.Admin.Address)) ignored.Add("gateway.admin.address");
        if (next.Drain != current.Settings.Drain) ignored.Add("gateway.drain");

        // Bind new listeners first: a port in use rejects the whole reload before anything changed.
        var kept = runtime.Listeners.All.Where(l => next.Listeners.Any(n => n.Name == l.Name && SameAddress(n, l))).ToList();
        foreach (var listener in kept)
            if (next.Listeners.Single(n => n.Name == listener.Name).Protocol is var protocol && protocol != listener.Protocol)
                throw new GatewayConfigException(next.Source, $"gateway.listeners.{listener.Name}.protocol",
                    $"a reload cannot turn listener {listener.Name} from {Name(listener.Protocol)} into {Name(protocol)} on the same address: " +
                    "give it another name or address (the old one drains), or restart");
        var removed = runtime.Listeners.All.Except(kept).ToList();
        var added = next.Listeners.Where(n => kept.All(k => k.Name != n.Name))
            .Select(n => GatewayHostingExtensions.WithCertificates(next, n,
                GatewayHostingExtensions.BindOrExplain(next, $"gateway.listeners.{n.Name}.address", () => ListenerHandle.Bind(n.Name, n.Address)).Configure(n)))
            .ToList();
        // Read live by each tcp connection's drain: a changed idle timeout applies to open connections too.
        foreach (var listener in kept)
            listener.IdleTimeout = next.Listeners.Single(n => n.Name == listener.Name).IdleTimeout;
        // Per connection and request limits apply to what comes next; the Kestrel server's are fixed while it runs.
        foreach (var listener in kept)
            listener.Limits = ServerLimits.Pin(next.Listeners.Single(n => n.Name == listener.Name).Limits, current.Settings.Limits);
        ignored.AddRange(ServerLimits.Changed(current.Settings.Limits, next.Limits));
        // A kept listener keeps its Kestrel pipeline: TLS cannot be switched on or off in place, its certificates can.
        foreach (var listener in kept)
        {
            var wanted = next.Listeners.First(n => n.Name == listener.Name).Tls;
            if (wanted is null != listener.Tls is null)
                ignored.Add($"gateway.listeners.{listener.Name}.tls");
            else if (wanted is not null && !wanted.Equals(listener.Tls!.Settings))
                listener.Tls.Reload(wanted);
        }

        foreach (var listener in added)
            listener.Limits = ServerLimits.Pin(listener.Limits, current.Settings.Limits);

        var upstreams = next.Upstreams
            .Select(u => current.Upstreams.FirstOrDefault(h => SameUpstream(h.Settings, u)) ?? new UpstreamHandle(u))
            .ToList();
        var retiredUpstreams = current.Upstreams.Except(upstreams).ToList();

        runtime.Swap(new GatewayRuntime.Snapshot(next with { Admin = current.Settings.Admin, Drain = current.Settings.Drain, Limits = current.Settings.Limits }, upstreams,
            new RouteTable(next.Routes, upstreams, runtime.Metrics, next.ViaName)));
        runtime.Listeners.Replace(kept.Concat(added).ToList());

        var supervisor = runtime.Supervisor;
        var drain = new Drain(runtime.State.Time.GetUtcNow() + current.Settings.Drain.Deadline, DrainReason.Reload) { IdleClose = current.Settings.Drain.IdleClose };
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

        var report = new ReloadReport(
            added.Select(l => $"{l.Name} ({l.Address})").ToList(),
            removed.Select(l => l.Name).ToList(),
            retiredUpstreams.Select(u => u.Name).Distinct().ToList(),
            ignored);
        logger.LogInformation(EventIds.Reloaded, "Reloaded {Source}: {Report}", next.Source, report);
        // Certificate files may have been replaced without the config changing: a reload reads them again too.
        services.GetService<Tls.TlsService>()?.Reload("config reload");
        return report;
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
            ? RequestAdmission.RunAsync(context, connection.Listener.Limits, c => handler.HandleAsync(c, connection))
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
