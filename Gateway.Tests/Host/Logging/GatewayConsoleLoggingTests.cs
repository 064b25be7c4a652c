using Microsoft.Extensions.Configuration;
using Gateway.Host.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Gateway.Tests.Host.Logging;

/// <summary>The console log keeps no scopes: a connection's log scope (Kestrel opens one each) costs it nothing.</summary>
public sealed class GatewayConsoleLoggingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_log_scope_on_the_gateways_console_log_leaves_the_execution_context_as_it_was(bool json)
    {
        using var services = new ServiceCollection().AddLogging(logging => logging.AddGatewayConsole(json)).BuildServiceProvider();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Server.Kestrel");

        Assert.True(logger.IsEnabled(LogLevel.Critical));
        Assert.Same(ExecutionContextDuring(logger, out var before), before);
    }

    [Fact]
    public void The_plain_console_log_would_hold_a_scope_in_the_execution_context()
    {
        // What the gateway's console log avoids: with the provider taking the factory's scopes, each scope is an AsyncLocal.
        using var services = new ServiceCollection().AddLogging(logging => logging.AddSimpleConsole()).BuildServiceProvider();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Server.Kestrel");

        Assert.NotSame(ExecutionContextDuring(logger, out var before), before);
    }

    [Fact]
    public void The_console_provider_still_writes_the_lines_behind_the_scopeless_one()
    {
        using var services = new ServiceCollection().AddLogging(logging => logging.AddGatewayConsole(json: false)).BuildServiceProvider();
        var provider = Assert.Single(services.GetServices<ILoggerProvider>());
        Assert.IsType<ScopelessLoggerProvider>(provider);
        Assert.Equal("ConsoleLogger", provider.CreateLogger("gateway").GetType().Name);
    }

    private static ExecutionContext? ExecutionContextDuring(ILogger logger, out ExecutionContext? before)
    {
        before = ExecutionContext.Capture();
        using (logger.BeginScope("connection {ConnectionId}", "0HN1"))
            return ExecutionContext.Capture();
    }

    [Fact]
    public void A_level_set_for_the_console_provider_in_the_configuration_still_applies()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Logging:Console:LogLevel:Default"] = "Error" })
            .Build();
        using var services = new ServiceCollection()
            .AddLogging(logging => logging.AddConfiguration(config.GetSection("Logging")).AddGatewayConsole(json: false))
            .BuildServiceProvider();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("gateway");

        Assert.False(logger.IsEnabled(LogLevel.Warning));
        Assert.True(logger.IsEnabled(LogLevel.Error));
    }
}
