using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Cluster;
using Gateway.Lifecycle;

namespace Gateway.Host.Admin;

/// <summary>The admin API's JSON, written and read without reflection: camelCase, nulls written.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(DrainReport))]
[JsonSerializable(typeof(DrainAnswer))]
[JsonSerializable(typeof(LeaveAnswer))]
[JsonSerializable(typeof(UndrainAnswer))]
[JsonSerializable(typeof(ReloadAnswer))]
[JsonSerializable(typeof(MemberAnswer))]
[JsonSerializable(typeof(ClusterAbsent))]
[JsonSerializable(typeof(ClusterReport))]
[JsonSerializable(typeof(TreeProtocol.TreeNode))]
[JsonSerializable(typeof(HistoryReport))]
[JsonSerializable(typeof(ConfigReport))]
[JsonSerializable(typeof(UpstreamsReport))]
[JsonSerializable(typeof(ClusterUpstreamsReport))]
[JsonSerializable(typeof(EndpointChangeAnswer))]
[JsonSerializable(typeof(UnknownUpstreamAnswer))]
[JsonSerializable(typeof(EndpointRefusal))]
[JsonSerializable(typeof(AdminRefusal))]
internal sealed partial class AdminJson : JsonSerializerContext;
