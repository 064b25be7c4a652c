using System.Net;
using Akka.Actor;
using Akka.Event;
using static Gateway.Lifecycle.DrainProtocol;
using static Gateway.Upstreams.EndpointProtocol;

namespace Gateway.Upstreams;

/// <summary>Endpoints by DNS name, looked up again every dns-refresh: one endpoint per address.</summary>
internal sealed partial class UpstreamActor
{
    private void StartResolving()
    {
        var self = Self;
        foreach (var source in _handle!.Settings.Endpoints.Where(UpstreamHandle.IsDnsName).Distinct())
        {
            Dns.GetHostAddressesAsync(source.DnsSafeHost).WaitAsync(ResolveTimeout).ContinueWith(t => self.Tell(t.IsCompletedSuccessfully && t.Result.Length > 0
                    ? new Resolved(source, t.Result.Distinct().OrderBy(a => a.ToString(), StringComparer.Ordinal).ToList(), null)
                    : new Resolved(source, null, t.Exception?.GetBaseException().Message ?? "no address")),
                TaskContinuationOptions.ExecuteSynchronously);
        }
    }

    /// <summary>
    /// One endpoint per address of the name: new addresses join with a slow start, vanished ones are drained and then
    /// dropped; until the name resolves once, the name itself is the endpoint. A failed lookup keeps what there is.
    /// </summary>
    private void OnResolved(Resolved resolved)
    {
        var endpoints = _endpoints!;
        var current = endpoints.All.Where(e => e.Uri == resolved.Source && !_tracked[e].Retiring).ToList();
        if (resolved.Addresses is not { } addresses)
        {
            if (!_dnsFailing) _log.Warning("Upstream {0}: {1} could not be resolved ({2}); its {3} address(es) stay", Name, resolved.Source.Authority, resolved.Error, current.Count);
            _dnsFailing = true;
            return;
        }
        _dnsFailing = false;
        var port = resolved.Source.Port;
        var wanted = addresses.Select(a => new IPEndPoint(a, port)).ToList();
        var first = current.All(e => e.Pinned is null);
        var added = wanted.Where(w => current.All(e => !w.Equals(e.Pinned)))
            .Select(w => _handle!.NewEndpoint(resolved.Source, w)).ToList();
        var gone = current.Where(e => e.Pinned is null || !wanted.Contains(e.Pinned)).ToList();
        if (added.Count == 0 && gone.Count == 0) return;
        var now = endpoints.Now;
        foreach (var endpoint in added)
        {
            // The first resolution replaces the name that served until now: no slow start for that.
            if (!first) endpoint.RampFrom(now);
            _tracked[endpoint] = new Tracked();
        }
        endpoints.Replace([.. endpoints.All, .. added]);
        _log.Info("Upstream {0}: {1} resolves to [{2}]{3}{4}", Name, resolved.Source.Authority, string.Join(", ", wanted),
            added.Count == 0 ? "" : $"; added {string.Join(", ", added.Select(a => a.Address))}",
            gone.Count == 0 ? "" : $"; draining {string.Join(", ", gone.Select(g => g.Address))}");
        foreach (var endpoint in gone)
        {
            var tracked = _tracked[endpoint];
            tracked.Retiring = true;
            if (endpoint.IsDrained) Remove(endpoint);
            else if (endpoint.IsInService) BeginDrain(endpoint, tracked, _handle!.Drains?.Deadline ?? TimeSpan.FromSeconds(30), "its address left the DNS answer");
        }
        ApplyDrains();
    }

    private void Remove(UpstreamEndpoint endpoint)
    {
        _tracked.Remove(endpoint);
        _endpoints!.Replace(_endpoints.All.Where(e => e != endpoint).ToArray());
    }
}
