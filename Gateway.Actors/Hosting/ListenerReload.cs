using Gateway.Configuration;
using Gateway.Listeners;

namespace Gateway.Hosting;

/// <summary>
/// What a reload does to the listeners: one of the same name and address is kept (its settings change in place, its
/// Kestrel pipeline stays), any other running one is removed (it drains), and a new one is bound before anything
/// changes — so a port in use refuses the whole reload and gives back what it had bound.
/// </summary>
internal sealed class ListenerReload
{
    private ListenerReload(List<ListenerHandle> kept, List<ListenerHandle> removed, List<ListenerHandle> added, List<string> changed, List<string> restartOnly)
    {
        (Kept, Removed, Added, Changed, RestartOnly) = (kept, removed, added, changed, restartOnly);
    }

    public IReadOnlyList<ListenerHandle> Kept { get; }
    public IReadOnlyList<ListenerHandle> Removed { get; }

    /// <summary>Bound for the reload, configured and with their certificates; not yet served.</summary>
    public IReadOnlyList<ListenerHandle> Added { get; }

    /// <summary>Kept listeners whose settings changed in place.</summary>
    public IReadOnlyList<string> Changed { get; }

    /// <summary>Listener keys that wait for a restart (TLS switched on or off).</summary>
    public IReadOnlyList<string> RestartOnly { get; }

    /// <summary>Binds the listeners <paramref name="next"/> adds and applies its settings to those it keeps.</summary>
    /// <exception cref="GatewayConfigException">A kept listener would change protocol, or a new address cannot be bound (nothing changed).</exception>
    public static ListenerReload Apply(IReadOnlyList<ListenerHandle> running, GatewaySettings now, GatewaySettings next, TimeProvider time)
    {
        var kept = running.Where(l => next.Listeners.Any(n => n.Name == l.Name && SameAddress(n, l))).ToList();
        foreach (var listener in kept)
            if (Wanted(next, listener).Protocol is var protocol && protocol != listener.Protocol)
                throw new GatewayConfigException(next.Source, $"gateway.listeners.{listener.Name}.protocol",
                    $"a reload cannot turn listener {listener.Name} from {Name(listener.Protocol)} into {Name(protocol)} on the same address: " +
                    "give it another name or address (the old one drains), or restart");
        var removed = running.Except(kept).ToList();
        var added = new ListenerFactory(next, adoption: null, time).OpenAll(next.Listeners.Where(n => kept.All(k => k.Name != n.Name)));

        var changed = new List<string>();
        var restartOnly = new List<string>();
        foreach (var listener in kept)
        {
            var wanted = Wanted(next, listener);
            var before = (listener.IdleTimeout, listener.Limits);
            // Read live by each tcp connection's drain: a changed idle timeout applies to open connections too.
            listener.IdleTimeout = wanted.IdleTimeout;
            // Per connection and request limits apply to what comes next; the Kestrel server's are fixed while it runs.
            listener.Limits = ServerLimits.Pin(wanted.Limits, now.Limits);
            // A kept listener keeps its Kestrel pipeline: TLS cannot be switched on or off in place, its certificates can.
            var tlsChanged = false;
            if (wanted.Tls is null != listener.Tls is null)
                restartOnly.Add($"gateway.listeners.{listener.Name}.tls");
            else if (wanted.Tls is not null && !wanted.Tls.Equals(listener.Tls!.Settings))
            {
                listener.Tls.Reload(wanted.Tls);
                tlsChanged = true;
            }
            if (tlsChanged || before != (listener.IdleTimeout, listener.Limits)) changed.Add(listener.Name);
        }
        foreach (var listener in added)
            listener.Limits = ServerLimits.Pin(listener.Limits, now.Limits);
        return new ListenerReload(kept, removed, added, changed, restartOnly);
    }

    private static ListenerSettings Wanted(GatewaySettings next, ListenerHandle listener) => next.Listeners.Single(n => n.Name == listener.Name);

    private static string Name(ListenerProtocol protocol) => protocol.ToString().ToLowerInvariant();

    private static bool SameAddress(ListenerSettings wanted, ListenerHandle bound) =>
        wanted.Address.Port == 0 ? wanted.Address.Address.Equals(bound.Address.Address) : wanted.Address.Equals(bound.Address);
}
