using Microsoft.Extensions.Logging;

namespace Gateway.Host.Logging;

/// <summary>
/// A logger provider without scope support in front of one whose output leaves scopes out. Kestrel opens a log scope
/// per connection whenever its category logs at all; a provider that takes the factory's scopes makes each such scope
/// an <c>AsyncLocal</c> value — an execution context held by every idle connection and carried by its every await —
/// for lines that never print it.
/// </summary>
/// <remarks>Named as the console provider, so that rules written for it (<c>Logging:Console:LogLevel</c>) still apply.</remarks>
[ProviderAlias("Console")]
internal sealed class ScopelessLoggerProvider(ILoggerProvider inner) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => inner.CreateLogger(categoryName);

    /// <summary>The container that made the inner provider disposes it (and so flushes its queue).</summary>
    public void Dispose() { }
}
