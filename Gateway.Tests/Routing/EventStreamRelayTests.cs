using System.Text;
using Gateway.Configuration;
using Gateway.Routing;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Http;
using Xunit;

namespace Gateway.Tests.Routing;

/// <summary>
/// An event stream spends most of its life waiting for its next event; thousands of them are what agent traffic
/// holds open. The relay waits on the upstream's response (SocketsHttpHandler's, from a real Kestrel upstream)
/// holding no buffer: every read that has to wait for bytes is a zero-byte read, and the events still arrive whole.
/// </summary>
public sealed class EventStreamRelayTests : IAsyncLifetime
{
    private UpstreamServer _upstream = null!;

    public async Task InitializeAsync() => _upstream = await UpstreamServer.StartAsync();

    public async Task DisposeAsync() => await _upstream.DisposeAsync();

    [Fact]
    public async Task A_stream_waits_for_its_next_event_with_a_zero_byte_read_and_relays_every_event_whole()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
        using var upstreamResponse = await http.GetAsync($"http://{_upstream.Endpoint}/ticks?ms=100", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        var reads = new ReadRecordingStream(await upstreamResponse.Content.ReadAsStreamAsync(timeout.Token));
        using var proxyResponse = new HttpResponseMessage { Content = new StreamContent(reads) };
        var toClient = new EventsSeen(5);
        using var aborted = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        var context = new DefaultHttpContext { RequestAborted = aborted.Token };
        context.Response.Body = toClient;

        var relay = EventStreamRelay.RunAsync(context, proxyResponse, StreamSettings.Default);
        await toClient.Enough.Task.WaitAsync(timeout.Token);
        aborted.Cancel();
        await relay.WaitAsync(timeout.Token);

        // The upstream writes each event in two parts 100 ms apart from the next: the relay waited between them.
        Assert.NotEmpty(reads.Waited);
        Assert.All(reads.Waited, length => Assert.Equal(0, length));
        var events = toClient.Text.Split("\n\n")[..5];
        for (var n = 0; n < events.Length; n++) Assert.Equal($"id: {n}\ndata: tick {n}", events[n]);
    }

    /// <summary>The upstream's body, noting the length of every read that did not complete at once.</summary>
    private sealed class ReadRecordingStream(Stream inner) : OneWayStream
    {
        public List<int> Waited { get; } = [];

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = inner.ReadAsync(buffer, cancellationToken);
            if (!read.IsCompleted) lock (Waited) Waited.Add(buffer.Length);
            return await read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override bool CanRead => true;
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>What the client received; completes <see cref="Enough"/> once it holds that many whole events.</summary>
    private sealed class EventsSeen(int wanted) : OneWayStream
    {
        private readonly StringBuilder _text = new();

        public TaskCompletionSource Enough { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Text
        {
            get { lock (_text) return _text.ToString(); }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            lock (_text)
            {
                _text.Append(Encoding.UTF8.GetString(buffer.Span));
                if (_text.ToString().Split("\n\n").Length > wanted) Enough.TrySetResult();
            }
            return ValueTask.CompletedTask;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override bool CanWrite => true;
    }

    /// <summary>A stream read or written asynchronously only, one way: the members neither test stream uses.</summary>
    private abstract class OneWayStream : Stream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override bool CanRead => false;
        public override bool CanWrite => false;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
