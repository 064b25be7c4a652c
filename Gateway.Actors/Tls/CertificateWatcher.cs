namespace Gateway.Tls;

/// <summary>
/// Watches the folders of the certificate files and calls back once things have been quiet for a moment: a rotation
/// writes the certificate and the key one after the other, and the pair only matches once both are written.
/// </summary>
internal sealed class CertificateWatcher : IDisposable
{
    private readonly List<FileSystemWatcher> _watchers = [];
    private readonly HashSet<string> _names;
    private readonly Timer _debounce;
    private readonly TimeSpan _quiet;

    public CertificateWatcher(IEnumerable<string> files, TimeSpan quiet, Action changed)
    {
        var paths = files.Select(Path.GetFullPath).Distinct().ToList();
        _names = paths.Select(Path.GetFileName).OfType<string>().ToHashSet(StringComparer.Ordinal);
        _quiet = quiet;
        _debounce = new Timer(_ => changed(), null, Timeout.Infinite, Timeout.Infinite);
        foreach (var folder in paths.Select(Path.GetDirectoryName).OfType<string>().Distinct().Where(Directory.Exists))
        {
            var watcher = new FileSystemWatcher(folder)
            {
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                IncludeSubdirectories = false,
            };
            watcher.Changed += (_, e) => Seen(e.Name);
            watcher.Created += (_, e) => Seen(e.Name);
            watcher.Deleted += (_, e) => Seen(e.Name);
            watcher.Renamed += (_, e) =>
            {
                Seen(e.Name);
                Seen(e.OldName);
            };
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
    }

    /// <summary>The folders watched (a folder that does not exist is not).</summary>
    public IReadOnlyList<string> Folders => _watchers.Select(w => w.Path).ToList();

    private void Seen(string? name)
    {
        // "..data" is how a Kubernetes secret volume swaps all its files at once (a symlink renamed over).
        if (name is null || !_names.Contains(name) && !name.StartsWith("..", StringComparison.Ordinal)) return;
        _debounce.Change(_quiet, Timeout.InfiniteTimeSpan);
    }

    public void Dispose()
    {
        foreach (var watcher in _watchers) watcher.Dispose();
        _debounce.Dispose();
    }
}
