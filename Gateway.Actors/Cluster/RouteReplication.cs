using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Gateway.Configuration;
using Gateway.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Cluster;

/// <summary>
/// Replicates routes and upstreams through Distributed Data: one last-writer-wins register whose clock is the config
/// version, so the highest version wins on every node and a node that joins later receives it by gossip. Each node
/// applies what it receives with the graceful reload semantics of <see cref="GatewayReloader"/>, one at a time.
/// </summary>
internal sealed class RouteReplication : ReceiveActor
{
    public static readonly LWWRegisterKey<string> Key = new("gateway-routes");

    /// <summary>Local: replicate what a reload of this node's file just applied; answers the new version.</summary>
    public sealed record Publish(GatewaySettings Settings, TaskCompletionSource<long> Version)
    {
        public override string ToString() => $"Publish({Settings.Routes.Count} route(s), {Settings.Upstreams.Count} upstream(s))";
    }

    private sealed record Applied(ReplicatedRoutes Routes, string? Report, string? Error)
    {
        public override string ToString() => $"Applied(v{Routes.Version}, {(Error is null ? "ok" : "rejected")})";
    }

    /// <summary>Pushed to every reachable node at once; a node it misses gets it by gossip.</summary>
    private static readonly IWriteConsistency WriteAll = new WriteAll(TimeSpan.FromSeconds(3));

    private readonly IActorRef _replicator;
    private readonly UniqueAddress _self;
    private readonly GatewayRuntime _runtime;
    private readonly RouteVersion _version;
    private readonly Func<GatewayReloader> _reloader;
    private readonly ILogger _logger;
    private ReplicatedRoutes? _next;
    private bool _applying;
    private long _seen;

    public RouteReplication(IActorRef replicator, UniqueAddress self, GatewayRuntime runtime, RouteVersion version, Func<GatewayReloader> reloader, ILogger logger)
    {
        _replicator = replicator;
        _self = self;
        _runtime = runtime;
        _version = version;
        _reloader = reloader;
        _logger = logger;
        Receive<Changed>(c => c.Key.Equals(Key), c => OnReplicated(c.Get(Key).Value));
        Receive<Publish>(OnPublish);
        Receive<Applied>(OnApplied);
        Receive<UpdateSuccess>(_ => { });
        // A node that did not answer in time gets the version by gossip; nothing to do here.
        Receive<IUpdateFailure>(_ => { });
    }

    public static Props Props(IActorRef replicator, UniqueAddress self, GatewayRuntime runtime, RouteVersion version, Func<GatewayReloader> reloader, ILogger logger) =>
        Akka.Actor.Props.Create(() => new RouteReplication(replicator, self, runtime, version, reloader, logger));

    protected override void PreStart() => _replicator.Tell(Dsl.Subscribe(Key, Self));

    private void OnPublish(Publish publish)
    {
        var version = Math.Max(_seen, _version.Value) + 1;
        _seen = version;
        _version.AdvanceTo(version);
        var routes = new ReplicatedRoutes(version, _self.Address.ToString(), DateTimeOffset.UtcNow, publish.Settings.Routes, publish.Settings.Upstreams);
        var json = routes.ToJson();
        _replicator.Tell(Dsl.Update(Key, new LWWRegister<string>(_self, "", 0), WriteAll,
            register => register.WithValue(_self, json, (_, _) => version)));
        ClusterLog.RoutesPublished(_logger, version, routes.Routes.Count, routes.Upstreams.Count);
        publish.Version.TrySetResult(version);
    }

    private void OnReplicated(string json)
    {
        ReplicatedRoutes? routes;
        try
        {
            routes = ReplicatedRoutes.FromJson(json);
        }
        catch (System.Text.Json.JsonException e)
        {
            ClusterLog.RoutesRejected(_logger, 0, "?", $"unreadable: {e.Message}");
            return;
        }
        if (routes is null) return;
        _seen = Math.Max(_seen, routes.Version);
        // Our own publication, or one already applied.
        if (routes.Version <= _version.Value) return;
        if (_applying)
        {
            _next = routes;
            return;
        }
        Apply(routes);
    }

    private void Apply(ReplicatedRoutes routes)
    {
        _applying = true;
        var next = routes.ApplyTo(_runtime.Settings, out var skipped);
        _reloader().ApplyAsync(next).ContinueWith(t => t.IsCompletedSuccessfully
                ? new Applied(routes, t.Result + (skipped.Count == 0 ? "" : $"; routes skipped: {string.Join(", ", skipped)}"), null)
                : new Applied(routes, null, t.Exception?.GetBaseException().Message ?? "cancelled"),
            TaskContinuationOptions.ExecuteSynchronously).PipeTo(Self);
    }

    private void OnApplied(Applied applied)
    {
        _applying = false;
        var routes = applied.Routes;
        if (applied.Error is null)
        {
            _version.AdvanceTo(routes.Version);
            ClusterLog.RoutesApplied(_logger, routes.Version, routes.Origin, (DateTimeOffset.UtcNow - routes.PublishedAt).TotalMilliseconds, applied.Report!);
        }
        else
        {
            ClusterLog.RoutesRejected(_logger, routes.Version, routes.Origin, applied.Error);
        }
        if (_next is { } next && next.Version > _version.Value)
        {
            _next = null;
            Apply(next);
        }
    }
}
