using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Gateway.Connections;
using Microsoft.AspNetCore.Connections;
using Xunit;

namespace Gateway.Tests.Connections;

/// <summary>An HTTP/2 connection's output: frames written while a send is under way leave together, the last ones before the end.</summary>
public sealed class CoalescingOutputTests
{
    // The socket side: it takes one byte before it pushes back, so a send stays "under way" until the test reads it.
    private readonly Pipe _socket = new(new PipeOptions(pauseWriterThreshold: 1, resumeWriterThreshold: 1, useSynchronizationContext: false));
    private readonly DefaultConnectionContext _context = new("c1");

    public CoalescingOutputTests() => _context.Transport = new DuplexPipe(new Pipe().Reader, _socket.Writer);

    [Fact]
    public async Task Writes_made_while_a_send_is_under_way_leave_in_one_send()
    {
        var output = CoalescingOutput.Install(_context, TimeSpan.FromSeconds(1));
        var writer = _context.Transport.Output;

        await WriteAsync(writer, "first;");
        var first = await ReadAsync(TimeSpan.FromSeconds(10));  // the pump now waits for this send to be taken
        var firstText = Encoding.ASCII.GetString(first.Buffer.ToArray());
        await WriteAsync(writer, "second;");
        await WriteAsync(writer, "third;");
        _socket.Reader.AdvanceTo(first.Buffer.End);

        Assert.Equal("first;", firstText);
        var next = await ReadAsync(TimeSpan.FromSeconds(10));
        var nextText = Encoding.ASCII.GetString(next.Buffer.ToArray());
        _socket.Reader.AdvanceTo(next.Buffer.End);
        Assert.Equal("second;third;", nextText);
        await output.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task The_last_bytes_are_sent_and_the_socket_side_completed_before_dispose_returns()
    {
        var output = CoalescingOutput.Install(_context, TimeSpan.FromSeconds(1));
        await WriteAsync(_context.Transport.Output, "goaway");
        var reading = Task.Run(async () =>
        {
            var all = new StringBuilder();
            while (true)
            {
                var read = await _socket.Reader.ReadAsync();
                all.Append(Encoding.ASCII.GetString(read.Buffer.ToArray()));
                _socket.Reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted) return all.ToString();
            }
        });

        await output.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal("goaway", await reading.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private static async Task WriteAsync(PipeWriter writer, string text)
    {
        writer.Write(Encoding.ASCII.GetBytes(text));
        var flushed = await writer.FlushAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));  // the socket side waits: only a pump in between lets this return
        Assert.False(flushed.IsCompleted);
    }

    private async Task<ReadResult> ReadAsync(TimeSpan timeout) => await _socket.Reader.ReadAsync().AsTask().WaitAsync(timeout);
}
