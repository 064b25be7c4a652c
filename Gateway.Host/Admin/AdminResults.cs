using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Gateway.Upstreams;

namespace Gateway.Host.Admin;

// The answers of the admin API, as they go on the wire (camelCase JSON, AdminJson): the server writes them and the
// operator commands read them, so both sides share one definition. A key that some answers of a kind leave out is
// written only when set (WhenWritingNull); every other key is always written, null included.

/// <summary>GET /drain: the drain's state and phase, and each listener's connections.</summary>
internal sealed record DrainReport(
    string State,
    int Generation,
    int Pid,
    string Phase,
    bool Ready,
    string? Reason,
    DateTimeOffset? StartedAt,
    DateTimeOffset? Deadline,
    double? SecondsToDeadline,
    string? Outcome,
    IReadOnlyList<ListenerReport> Listeners);

/// <summary>One listener in GET /drain; <see cref="Requests"/> counts the requests answered since the process started.</summary>
internal sealed record ListenerReport(
    string Name, string Address, int Generation, bool Accepting, long Open, long Idle, long Active, long InFlight,
    long Streams, long Accepted, long Forced, string Protocol, string State, long Requests);

/// <summary>POST /drain: <c>Started</c> (202), <c>UnknownListener</c> (404) or why it did not start (409).</summary>
internal sealed record DrainAnswer(string Result, string? Listener, DrainReport Report);

/// <summary>POST /drain?leave=true: <c>Leaving</c> (202, the node), or <c>NotClustered</c> / <c>AlreadyDraining</c> (409).</summary>
internal sealed record LeaveAnswer(
    string Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Node = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DrainReport? Report = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>POST /undrain: <c>Serving</c> (200), <c>UnknownListener</c> (404), or why not (409, with the reason).</summary>
internal sealed record UndrainAnswer(string Result, string? Reason, string? Listener, DrainReport Report);

/// <summary>POST /reload: <c>Reloaded</c> with what changed, or <c>Rejected</c> (422) with every problem.</summary>
internal sealed record ReloadAnswer(
    string Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Report = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<string>? Problems = null);

/// <summary>POST /cluster/leave and /cluster/down: <c>Leaving</c>, <c>Downed</c>, <c>UnknownMember</c> or <c>NotClustered</c>.</summary>
internal sealed record MemberAnswer(string Result, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Node = null);

/// <summary>GET /cluster when there is no view to give: not clustered (404), or the cluster has stopped (503).</summary>
internal sealed record ClusterAbsent(bool Clustered, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? State = null);

/// <summary>
/// GET /history[?since=T | ?last=N]: the samples of the last five minutes (after T, Unix ms; or the newest N), the
/// phase changes among them, and the drain's t = 0 and deadline when one is under way.
/// </summary>
internal sealed record HistoryReport(double IntervalSeconds, int Capacity, long Now, IReadOnlyList<Sample> Samples, IReadOnlyList<PhaseMark> Phases, HistoryDrain? Drain);

/// <summary>The drain under way in GET /history (Unix ms).</summary>
internal sealed record HistoryDrain(long StartedAt, long? Deadline, string? Reason);

/// <summary>GET /config: the effective configuration (as <c>config --json</c> prints it), the bound addresses and what TLS serves.</summary>
internal sealed record ConfigReport(int Generation, IReadOnlyDictionary<string, string> ListenersBound, string Source, JsonObject Config,
    IReadOnlyDictionary<string, TlsReport> Tls);

/// <summary>What one TLS listener serves now (after any rotation), and the handshakes it turned away, by reason.</summary>
internal sealed record TlsReport(IReadOnlyList<CertificateReport> Certificates, IReadOnlyDictionary<string, long> Refused);

/// <summary>One certificate in service.</summary>
internal sealed record CertificateReport(string Name, string Subject, IReadOnlyList<string> SubjectAlternativeNames, string Serial,
    DateTimeOffset NotBefore, DateTimeOffset NotAfter, double DaysToExpiry, string File);

/// <summary>GET /upstreams on a gateway alone: every endpoint's state and counters (<see cref="Node"/> null).</summary>
internal sealed record UpstreamsReport(string? Node, IReadOnlyList<UpstreamReport> Upstreams);

/// <summary>GET /upstreams on a cluster node: also each node's view (null while the cluster gives none).</summary>
internal sealed record ClusterUpstreamsReport(string? Node, IReadOnlyList<UpstreamReport> Upstreams, IReadOnlyList<NodeUpstreams>? Nodes);

/// <summary>One node's view of the endpoints: their state by endpoint, by upstream (null until it has written its status).</summary>
internal sealed record NodeUpstreams(string Address, bool Self, string Status, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? Upstreams);

/// <summary>POST /upstreams/NAME/drain or /undrain taken: <c>Draining</c>, <c>Drained</c> or <c>Undrained</c>, and where.</summary>
internal sealed record EndpointChangeAnswer(string Result, string Upstream, string Endpoint, string Scope, IReadOnlyList<EndpointReport> Endpoints);

/// <summary>POST /upstreams/NAME/… for an upstream the gateway does not have (404), with the ones it has.</summary>
internal sealed record UnknownUpstreamAnswer(string Result, string Upstream, IReadOnlyList<string> Known);

/// <summary>POST /upstreams/NAME/… refused: <c>MissingEndpoint</c>, <c>BadScope</c>, <c>UnknownEndpoint</c> or <c>DrainedByCluster</c>.</summary>
internal sealed record EndpointRefusal(
    string Result,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Upstream = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Endpoint = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Known = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);

/// <summary>
/// Any refused answer as a command reads it: the result, and the reason or the names known instead (a list, or
/// one line of them, as the refusal gives it).
/// </summary>
internal sealed record AdminRefusal(string Result, string? Reason, JsonElement? Known);
