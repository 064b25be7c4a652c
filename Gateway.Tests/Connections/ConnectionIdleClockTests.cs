using System.Net;
using Gateway.Connections;
using Gateway.Listeners;
using Gateway.Tests.Support;
using Microsoft.AspNetCore.Connections;
using Xunit;

namespace Gateway.Tests.Connections;

/// <summary>
/// A connection's idle time is read on its listener's clock, so a drain's quiet period can be simulated: it moves
/// only when the clock moves, and a stream in flight holds it at zero.
/// </summary>
public sealed class ConnectionIdleClockTests
{
    [Fact]
    public void Idle_time_follows_the_listeners_clock_and_an_http2_stream_resets_it_when_it_ends()
    {
        var time = new ManualTime();
        var listener = ListenerHandle.Bind("public", new IPEndPoint(IPAddress.Loopback, 0), time);
        try
        {
            var connection = new KestrelConnection(new DefaultConnectionContext("c1"), listener) { IsHttp2 = true };
            Assert.Equal(TimeSpan.Zero, connection.IdleFor);
            Assert.Equal(time.GetUtcNow(), connection.OpenedAt);

            time.Advance(TimeSpan.FromSeconds(3));
            Assert.Equal(TimeSpan.FromSeconds(3), connection.IdleFor);

            connection.RequestStarted();
            time.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(TimeSpan.Zero, connection.IdleFor);  // a stream in flight: not idle

            connection.RequestEnded();
            time.Advance(TimeSpan.FromMilliseconds(250));
            Assert.Equal(TimeSpan.FromMilliseconds(250), connection.IdleFor);
        }
        finally
        {
            listener.Close();
        }
    }
}
