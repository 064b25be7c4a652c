using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Gateway.Host.Cli;

// What the operator commands print with --json, one object per line (CommandJson).

/// <summary>A command that failed: what to do next, and the exit code it ends with.</summary>
internal sealed record CommandFailure(bool Ok, int ExitCode, string Error);

/// <summary>A configuration refused: every problem, each with its file, line, column and key.</summary>
internal sealed record ConfigFailure(bool Ok, int ExitCode, string Error, IReadOnlyList<ConfigProblem> Problems);

/// <summary>One problem of a refused configuration.</summary>
internal sealed record ConfigProblem(string File, int? Line, int? Column, string Key, string Problem);

/// <summary><c>check</c>: the file is valid; how much it configures, its drain deadline, and what reading it noticed.</summary>
internal sealed record CheckResult(bool Ok, string File, int Listeners, int Routes, int Upstreams, double DeadlineSeconds, IReadOnlyList<string> Notes);

/// <summary>One sample of <c>drain --wait</c>.</summary>
internal sealed record DrainProgress(string Phase, long Open, long InFlight, double? SecondsToDeadline);

/// <summary>How <c>drain --wait</c> ended: ok when nothing was forced at the deadline.</summary>
internal sealed record DrainOutcome(bool Ok, long Forced, string? Outcome);

/// <summary>One sample of <c>drain --upstream NAME --endpoint EP --wait</c>.</summary>
internal sealed record EndpointDrainProgress(string Upstream, string Endpoint, IReadOnlyList<string> States, int InFlight, int NodesLeft);

/// <summary>The commands' JSON, written without reflection; paths and names are quoted as they are (this is no HTML).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(CommandFailure))]
[JsonSerializable(typeof(ConfigFailure))]
[JsonSerializable(typeof(CheckResult))]
[JsonSerializable(typeof(DrainProgress))]
[JsonSerializable(typeof(DrainOutcome))]
[JsonSerializable(typeof(EndpointDrainProgress))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class CommandJson : JsonSerializerContext
{
    /// <summary>Messages quote paths and names: keep them readable (no \u0027 for an apostrophe).</summary>
    public static CommandJson Readable { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
