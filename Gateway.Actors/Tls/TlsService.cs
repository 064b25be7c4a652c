using Gateway.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Tls;

/// <summary>
/// Keeps the TLS listeners' certificates current: logs what is in service at start, reloads when a watched file
/// changes (debounced) and on every config reload (SIGHUP, POST /reload). A set that fails to load is rejected with
/// the file and the reason, and the certificates in service stay.
/// </summary>
internal partial class TlsService(GatewayRuntime runtime, ILogger<TlsService> logger) : IHostedService, IDisposable
{
    /// <summary>How long the files must stay unchanged before they are read (a rotation writes two files).</summary>
    internal static TimeSpan Quiet { get; set; } = TimeSpan.FromMilliseconds(500);

    private readonly object _gate = new();
    private List<string> _watched = [];
    private CertificateWatcher? _watcher;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var store in Stores())
            foreach (var certificate in store.InService)
                Log.InService(logger, store.Listener, certificate.ToString());
        foreach (var upstream in runtime.Settings.Upstreams.Where(u => u.Tls is { Verify: false }))
            Log.UpstreamUnverified(logger, upstream.Name);
        Rewatch();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Reloads every TLS listener's certificates from their files; returns the problems of the rejected ones.</summary>
    public IReadOnlyList<CertificateException> Reload(string why)
    {
        var rejected = new List<CertificateException>();
        lock (_gate)
        {
            foreach (var store in Stores())
            {
                var (replaced, problem) = store.Reload();
                if (problem is not null)
                {
                    Log.Rejected(logger, store.Listener, problem.File, problem.Reason, why);
                    rejected.Add(problem);
                }
                else if (replaced)
                    foreach (var certificate in store.InService)
                        Log.Rotated(logger, store.Listener, certificate.ToString(), why);
            }
            Rewatch();
        }
        return rejected;
    }

    /// <summary>Watches the files of every TLS listener (again: a reload may have added listeners or changed paths).</summary>
    private void Rewatch()
    {
        lock (_gate)
        {
            var files = Stores().SelectMany(s => s.Settings.AllFiles).SelectMany(f => new[] { f.Certificate, f.PrivateKey }).Distinct().ToList();
            if (_watcher is not null && files.SequenceEqual(_watched)) return;
            _watcher?.Dispose();
            _watched = files;
            _watcher = files.Count == 0 ? null : new CertificateWatcher(files, Quiet, ReloadOnChange);
        }
    }

    /// <summary>Runs on a timer thread: whatever goes wrong is logged, never thrown (it would end the process).</summary>
    private void ReloadOnChange()
    {
        try
        {
            Reload("a certificate file changed");
        }
        catch (Exception e)
        {
            Log.ReloadFailed(logger, e);
        }
    }

    private IEnumerable<CertificateStore> Stores() => runtime.Listeners.All.Select(l => l.Tls).OfType<CertificateStore>();

    public void Dispose()
    {
        lock (_gate)
        {
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.CertificateInService, Level = LogLevel.Information,
            Message = "Listener {Listener} serves certificate {Certificate}")]
        public static partial void InService(ILogger logger, string listener, string certificate);

        [LoggerMessage(EventId = EventIds.CertificateRotated, Level = LogLevel.Information,
            Message = "Listener {Listener} now serves certificate {Certificate} ({Why}); established connections keep theirs")]
        public static partial void Rotated(ILogger logger, string listener, string certificate, string why);

        [LoggerMessage(EventId = EventIds.CertificateRejected, Level = LogLevel.Error,
            Message = "Listener {Listener}: new certificate rejected, the one in service stays: {File}: {Reason} ({Why})")]
        public static partial void Rejected(ILogger logger, string listener, string file, string reason, string why);

        [LoggerMessage(EventId = EventIds.CertificateRejected, Level = LogLevel.Error,
            Message = "Certificate reload failed, the certificates in service stay")]
        public static partial void ReloadFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.UpstreamTlsUnverified, Level = LogLevel.Warning,
            Message = "Upstream {Upstream}: TLS certificate verification is OFF (tls.verify = off): its https endpoints are not authenticated")]
        public static partial void UpstreamUnverified(ILogger logger, string upstream);
    }
}
