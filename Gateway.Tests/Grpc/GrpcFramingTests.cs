using Gateway.Routing.Grpc;
using Xunit;

namespace Gateway.Tests.Grpc;

/// <summary>The pieces a gRPC call is followed with: message framing, <c>grpc-timeout</c>, the status of each failure.</summary>
public sealed class GrpcFramingTests
{
    private static byte[] Frame(int length) => [0, (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, .. new byte[length]];

    [Fact]
    public void Framing_counts_messages_and_knows_each_boundary_whatever_the_chunks()
    {
        byte[] stream = [.. Frame(3), .. Frame(0), .. Frame(70_000)];
        foreach (var chunk in new[] { 1, 2, 5, 7, 4096, stream.Length })
        {
            var framing = new GrpcFraming();
            var boundaries = new List<long>();
            for (var i = 0; i < stream.Length; i += chunk)
            {
                var piece = stream.AsSpan(i, Math.Min(chunk, stream.Length - i));
                for (var taken = 0; taken < piece.Length;)
                {
                    taken += framing.Advance(piece[taken..], stopAtBoundary: true);
                    if (framing.AtBoundary) boundaries.Add(framing.Bytes);
                }
            }
            Assert.Equal(3, framing.Messages);
            Assert.Equal(70_000, framing.LargestMessage);
            Assert.Equal([8L, 13L, stream.Length], boundaries.Distinct());
        }
    }

    [Fact]
    public void Framing_stops_at_the_first_boundary_when_asked()
    {
        var framing = new GrpcFraming();
        byte[] two = [.. Frame(2), .. Frame(2)];
        Assert.Equal(7, framing.Advance(two, stopAtBoundary: true));
        Assert.True(framing.AtBoundary);
        Assert.Equal(1, framing.Messages);
        Assert.Equal(7, framing.Advance(two.AsSpan(7)));
        Assert.Equal(2, framing.Messages);
    }

    [Theory]
    [InlineData("1H", 3_600_000d)]
    [InlineData("2M", 120_000d)]
    [InlineData("3S", 3_000d)]
    [InlineData("400m", 400d)]
    [InlineData("2500u", 2.5)]
    [InlineData("7000000n", 7d)]
    [InlineData("99999999S", 99_999_999_000d)]
    public void Grpc_timeout_is_read_in_its_units(string header, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), GrpcTimeout.Parse(header));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("S")]
    [InlineData("123456789S")]
    [InlineData("-1S")]
    [InlineData("1.5S")]
    [InlineData("10x")]
    public void A_malformed_grpc_timeout_is_ignored(string? header) => Assert.Null(GrpcTimeout.Parse(header));

    [Theory]
    [InlineData(502, GrpcStatusCode.Unavailable)]
    [InlineData(503, GrpcStatusCode.Unavailable)]
    [InlineData(504, GrpcStatusCode.DeadlineExceeded)]
    [InlineData(404, GrpcStatusCode.Unimplemented)]
    [InlineData(413, GrpcStatusCode.ResourceExhausted)]
    [InlineData(431, GrpcStatusCode.ResourceExhausted)]
    [InlineData(408, GrpcStatusCode.ResourceExhausted)]
    [InlineData(400, GrpcStatusCode.Internal)]
    [InlineData(500, GrpcStatusCode.Unknown)]
    public void Each_gateway_failure_has_its_grpc_status(int status, GrpcStatusCode code) => Assert.Equal(code, GrpcStatusResponse.For(status));

    [Fact]
    public void Grpc_message_is_percent_encoded_utf8() =>
        Assert.Equal("caf%C3%A9 100%25 ok%0A", GrpcProtocol.EncodeMessage("café 100% ok\n"));
}
