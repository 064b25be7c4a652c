using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Gateway.Connections;

namespace Gateway.Bench.Micro;

/// <summary>
/// An HTTP/2 connection's input read through the drain-PING observer, against the bare pipe: 64 HEADERS frames of
/// 40 bytes (a burst of requests) per read, as Kestrel's input copy reads and consumes them.
/// </summary>
[MemoryDiagnoser]
public class InboundObserverBenchmarks
{
    private static readonly byte[] Burst = MakeBurst();
    private Pipe _pipe = null!;
    private PipeReader _reader = null!;

    [Params(false, true)]
    public bool Observed { get; set; }

    [IterationSetup]
    public void Setup()
    {
        _pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        _reader = Observed ? new Http2PingAckObserver(_pipe.Reader) : _pipe.Reader;
        _pipe.Writer.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
    }

    [Benchmark(OperationsPerInvoke = 1000)]
    public long ReadAndConsume()
    {
        long total = 0;
        for (var i = 0; i < 1000; i++)
        {
            _pipe.Writer.Write(Burst);
            _pipe.Writer.FlushAsync().GetAwaiter().GetResult();
            var read = _reader.ReadAsync().GetAwaiter().GetResult();
            total += read.Buffer.Length;
            _reader.AdvanceTo(read.Buffer.End);
        }
        return total;
    }

    private static byte[] MakeBurst()
    {
        var frames = new List<byte>();
        for (var s = 0; s < 64; s++)
            frames.AddRange([0, 0, 31, 0x1, 0x5, 0, 0, 0, (byte)(2 * s + 1), .. new byte[31]]);
        return [.. frames];
    }
}
