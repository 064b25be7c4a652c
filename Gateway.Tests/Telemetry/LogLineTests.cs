using System.Net;
using Akka.Actor;
using Akka.Event;
using Gateway.Tests.Support;
using Gateway.Tests.Tls;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Gateway.Tests.Telemetry;

/// <summary>What a person reading the gateway's log sees: one line per failed request, Akka's messages without a prefix.</summary>
public sealed class LogLineTests
{
    private static Task<InProcessGateway> StartAsync(CapturedLog log, int upstreamPort) =>
        InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["http://127.0.0.1:{{upstreamPort}}"] }
              routes.shop { listener = public, path-prefix = "/", upstream = app }
            }
            """, logging => logging.AddProvider(log).SetMinimumLevel(LogLevel.Debug));

    [Fact]
    public async Task A_failed_upstream_request_writes_one_warning_line_with_route_endpoint_error_and_reason_and_its_stack_only_at_debug()
    {
        var log = new CapturedLog(LogLevel.Debug);
        var port = Ports.Closed();
        await using (var gateway = await StartAsync(log, port))
        {
            using var client = new HttpClient();
            var response = await client.GetAsync(new Uri($"http://{gateway.Gateway.Runtime.AddressOf("public")}/cart"));
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            await Wait.UntilAsync(() => log.Entries.Any(e => e.Id.Id == EventIds.ForwardFailed));

            var failed = Assert.Single(log.Entries, e => e.Id.Id == EventIds.ForwardFailed);
            Assert.Equal(LogLevel.Warning, failed.Level);
            Assert.Contains("Route shop", failed.Message);
            Assert.Contains($"127.0.0.1:{port}", failed.Message);
            Assert.Contains("Request", failed.Message);
            Assert.Contains("refused", failed.Message, StringComparison.OrdinalIgnoreCase);
            Assert.Null(failed.Exception);
            // Nothing at warning or above carries a stack: not our line, not YARP's forwarder.
            Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning && (e.Exception is not null || e.Message.Contains("   at ")));
            var detail = Assert.Single(log.Entries, e => e.Id.Id == EventIds.ForwardFailedDetail);
            Assert.Equal(LogLevel.Debug, detail.Level);
            Assert.NotNull(detail.Exception);
            Assert.Contains("shop", detail.Message);
        }
    }

    [Fact]
    public async Task Akka_log_events_reach_the_log_providers_as_the_message_alone_with_the_logging_class_as_category()
    {
        var log = new CapturedLog(LogLevel.Debug);
        await using (var gateway = await StartAsync(log, Ports.Closed()))
        {
            var system = gateway.Gateway.App.Services.GetRequiredService<ActorSystem>();
            new BusLogging(system.EventStream, "probe-source", typeof(LogLineTests), system.Settings.LogFormatter).Warning("probe {0} of the Akka log", 42);
            await Wait.UntilAsync(() => log.Entries.Any(e => e.Message.Contains("probe 42")));

            var entry = Assert.Single(log.Entries, e => e.Message.Contains("probe 42"));
            Assert.Equal("probe 42 of the Akka log", entry.Message);  // no [WARNING][date][Thread] prefix
            Assert.Equal(LogLevel.Warning, entry.Level);
            Assert.Equal(typeof(LogLineTests).FullName, entry.Category);
            // What a structured (JSON) provider writes: the message, and the Akka source beside it, not inside it.
            Assert.Contains(entry.State, p => p.Key == "Message" && (string?)p.Value == "probe 42 of the Akka log");
            Assert.Contains(entry.State, p => p.Key == "AkkaSource" && (string?)p.Value == "probe-source");
            Assert.DoesNotContain(log.Entries, e => e.Category.StartsWith("Akka") && e.Message.StartsWith('['));
        }
    }

    [Fact]
    public async Task Akka_log_events_still_queued_when_the_gateway_stops_are_written_to_the_log_providers_not_to_standard_out()
    {
        var log = new CapturedLog(LogLevel.Debug);
        using var held = new HeldLog("hold the Akka log");
        var gateway = await InProcessGateway.StartAsync($$"""
            gateway {
              listeners.public { address = "127.0.0.1:0" }
              admin.address = "127.0.0.1:0"
              upstreams.app { endpoints = ["http://127.0.0.1:{{Ports.Closed()}}"] }
              routes.shop { listener = public, path-prefix = "/", upstream = app }
            }
            """, logging => logging.AddProvider(log).AddProvider(held).SetMinimumLevel(LogLevel.Debug));
        var system = gateway.Gateway.App.Services.GetRequiredService<ActorSystem>();
        var akkaLog = new BusLogging(system.EventStream, "probe-source", typeof(LogLineTests), system.Settings.LogFormatter);
        // Akka's logger is kept busy (as by a drain's thousands of connections) while more events queue behind it.
        akkaLog.Warning("hold the Akka log");
        await held.Holding.WaitAsync(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 20; i++) akkaLog.Warning("queued event {0}", i);

        var stopping = gateway.DisposeAsync().AsTask();
        // Long enough for the stop to reach the actor system's end; the flush waits up to two seconds for the logger.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        held.Release();
        await stopping.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(20, log.Entries.Count(e => e.Message.StartsWith("queued event ", StringComparison.Ordinal)));
    }

    /// <summary>A log provider that holds the thread writing one marked message until released (at most 10 s).</summary>
    private sealed class HeldLog(string marker) : ILoggerProvider, ILogger
    {
        private readonly ManualResetEventSlim _released = new();
        private readonly TaskCompletionSource _holding = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Holding => _holding.Task;

        public void Release() => _released.Set();

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!formatter(state, exception).Contains(marker, StringComparison.Ordinal)) return;
            _holding.TrySetResult();
            _released.Wait(TimeSpan.FromSeconds(10));
        }

        public void Dispose() => _released.Set();
    }
}
