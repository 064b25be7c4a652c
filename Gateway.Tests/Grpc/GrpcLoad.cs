using System.Collections.Concurrent;
using Gateway.Tests.Grpc.Proto;
using Grpc.Core;

namespace Gateway.Tests.Grpc;

/// <summary>
/// Bounded gRPC load through the gateway: loops of unary calls and loops of server-streaming calls, each loop on its
/// own channel, until stopped or out of calls. Every failed call is recorded with its status and message.
/// </summary>
public sealed class GrpcLoad(Uri gateway, int unaryLoops, int maxUnaryPerLoop, int streamLoops = 0, int maxStreamsPerLoop = 0,
    int messagesPerStream = 10, int streamIntervalMs = 50)
{
    private int _unary;
    private int _streams;

    public int UnaryOk => _unary;
    public int StreamsOk => _streams;
    public ConcurrentQueue<string> Failures { get; } = new();
    public ConcurrentDictionary<string, int> Generations { get; } = new();

    public string Summary =>
        $"{UnaryOk} unary and {StreamsOk} streaming calls ok, {Failures.Count} failed; by generation: "
        + string.Join(", ", Generations.OrderBy(g => g.Key).Select(g => $"{g.Key}={g.Value}"))
        + (Failures.IsEmpty ? "" : "\n" + string.Join("\n", Failures.Take(10)));

    public Task RunAsync(CancellationToken stop) => Task.WhenAll(
        Enumerable.Range(0, unaryLoops).Select(_ => Task.Run(() => UnaryLoopAsync(stop), CancellationToken.None))
            .Concat(Enumerable.Range(0, streamLoops).Select(_ => Task.Run(() => StreamLoopAsync(stop), CancellationToken.None))));

    private async Task UnaryLoopAsync(CancellationToken stop)
    {
        using var channel = GrpcClients.Channel(gateway);
        var client = GrpcClients.Echo(channel);
        for (var i = 0; i < maxUnaryPerLoop && !stop.IsCancellationRequested; i++)
        {
            try
            {
                using var call = client.UnaryAsync(new Message { Text = $"u{i}" }, deadline: DateTime.UtcNow.AddSeconds(30));
                var reply = await call.ResponseAsync;
                if (!reply.Text.EndsWith($": u{i}", StringComparison.Ordinal)) Failures.Enqueue($"unary: wrong answer {reply.Text}");
                else Interlocked.Increment(ref _unary);
                Count(await call.ResponseHeadersAsync);
            }
            catch (RpcException e)
            {
                Failures.Enqueue($"unary: {e.StatusCode} {e.Status.Detail}");
            }
        }
    }

    private async Task StreamLoopAsync(CancellationToken stop)
    {
        using var channel = GrpcClients.Channel(gateway);
        var client = GrpcClients.Echo(channel);
        for (var i = 0; i < maxStreamsPerLoop && !stop.IsCancellationRequested; i++)
        {
            try
            {
                using var call = client.ServerStream(new StreamRequest { Count = messagesPerStream, IntervalMs = streamIntervalMs }, deadline: DateTime.UtcNow.AddSeconds(60));
                var received = 0;
                await foreach (var _ in call.ResponseStream.ReadAllAsync(CancellationToken.None)) received++;
                if (received != messagesPerStream) Failures.Enqueue($"stream: {received} of {messagesPerStream} messages");
                else Interlocked.Increment(ref _streams);
                Count(await call.ResponseHeadersAsync);
            }
            catch (RpcException e)
            {
                Failures.Enqueue($"stream: {e.StatusCode} {e.Status.Detail}");
            }
        }
    }

    private void Count(Metadata headers)
    {
        if (headers.GetValue("gateway-generation") is { } generation) Generations.AddOrUpdate(generation, 1, (_, n) => n + 1);
    }
}
