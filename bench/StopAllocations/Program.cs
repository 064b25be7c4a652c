using Microsoft.Diagnostics.Tracing.Etlx;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Usage: StopAllocations TRACE.nettrace [frames per stack, default 4] [rows, default 30]
// The runtime samples an allocation about every 100 KB (GCAllocationTick): the sums are estimates of where the bytes went.
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: StopAllocations TRACE.nettrace [frames] [rows]");
    return 2;
}
var frames = args.Length > 1 ? int.Parse(args[1]) : 4;
var rows = args.Length > 2 ? int.Parse(args[2]) : 30;
using var log = new TraceLog(TraceLog.CreateFromEventPipeDataFile(args[0]));
var byType = new Dictionary<string, long>();
var byStack = new Dictionary<string, long>();
long total = 0;
foreach (var e in log.Events)
{
    if (e is not GCAllocationTickTraceData tick) continue;
    total += tick.AllocationAmount64;
    byType[tick.TypeName] = byType.GetValueOrDefault(tick.TypeName) + tick.AllocationAmount64;
    var names = new List<string>();
    for (var frame = e.CallStack(); frame is not null && names.Count < frames; frame = frame.Caller)
        if (frame.CodeAddress.FullMethodName is { Length: > 0 } name) names.Add(name.Length > 100 ? name[..100] : name);
    var key = tick.TypeName + " <= " + string.Join(" <= ", names);
    byStack[key] = byStack.GetValueOrDefault(key) + tick.AllocationAmount64;
}
Console.WriteLine($"sampled allocations: {total / 1024} KiB");
Console.WriteLine("| KiB | type |\n|---|---|");
foreach (var (type, bytes) in byType.OrderByDescending(p => p.Value).Take(rows)) Console.WriteLine($"| {bytes / 1024} | {type} |");
Console.WriteLine("\n| KiB | type <= allocating frames |\n|---|---|");
foreach (var (stack, bytes) in byStack.OrderByDescending(p => p.Value).Take(rows)) Console.WriteLine($"| {bytes / 1024} | {stack} |");
return 0;
