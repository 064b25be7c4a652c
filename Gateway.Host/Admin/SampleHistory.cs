namespace Gateway.Host.Admin;

/// <summary>
/// The last five minutes of the gateway, one sample a second, and the drain phases it went through: kept by the
/// process in fixed rings (bounded memory whatever the uptime), so that the live page and <c>status</c> see what
/// happened before they asked. Times are Unix milliseconds.
/// </summary>
internal sealed class SampleHistory
{
    /// <summary>Samples kept: five minutes at one a second.</summary>
    public const int Capacity = 300;

    /// <summary>Phase changes kept (a drain has four, an undrain one; older ones fall out of the window anyway).</summary>
    public const int MarkCapacity = 64;

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Ring<Sample> _samples = new(Capacity);
    private readonly Ring<PhaseMark> _marks = new(MarkCapacity);
    private readonly Lock _gate = new();

    public void Record(Sample sample)
    {
        lock (_gate) _samples.Add(sample);
    }

    public void Mark(PhaseMark mark)
    {
        lock (_gate) _marks.Add(mark);
    }

    /// <summary>The samples taken after <paramref name="since"/> (all of them for 0), oldest first.</summary>
    public IReadOnlyList<Sample> Since(long since)
    {
        lock (_gate) return _samples.Where(s => s.T > since).ToList();
    }

    /// <summary>The newest <paramref name="count"/> samples, oldest first.</summary>
    public IReadOnlyList<Sample> Last(int count)
    {
        lock (_gate) return _samples.Skip(Math.Max(0, _samples.Count - count)).ToList();
    }

    /// <summary>The phase changes after <paramref name="since"/> that are still inside the window, oldest first.</summary>
    public IReadOnlyList<PhaseMark> MarksSince(long since)
    {
        lock (_gate)
        {
            var oldest = _samples.Count == 0 ? long.MaxValue : _samples.First().T;
            return _marks.Where(m => m.T > since && m.T >= oldest - (long)Interval.TotalMilliseconds).ToList();
        }
    }

    /// <summary>A fixed-size ring: adding to a full one drops the oldest entry.</summary>
    private sealed class Ring<T>(int capacity) : IEnumerable<T>
    {
        private readonly T[] _items = new T[capacity];
        private int _start;

        public int Count { get; private set; }

        public void Add(T item)
        {
            if (Count < _items.Length) _items[(_start + Count++) % _items.Length] = item;
            else
            {
                _items[_start] = item;
                _start = (_start + 1) % _items.Length;
            }
        }

        public IEnumerator<T> GetEnumerator()
        {
            for (var i = 0; i < Count; i++) yield return _items[(_start + i) % _items.Length];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>The gateway at one moment: its phase and each listener's connections, requests in flight and answered.</summary>
internal sealed record Sample(long T, string Phase, IReadOnlyList<ListenerSample> Listeners)
{
    public long Open => Listeners.Sum(l => l.Open);
    public long InFlight => Listeners.Sum(l => l.InFlight);
    public long Requests => Listeners.Sum(l => l.Requests);
}

/// <summary>One listener in a <see cref="Sample"/>; <see cref="Requests"/> counts since the process started.</summary>
internal sealed record ListenerSample(string Name, long Open, long InFlight, long Requests);

/// <summary>The gateway entered <see cref="Phase"/> at <see cref="T"/> (a drain's reason with its first phase).</summary>
internal sealed record PhaseMark(long T, string Phase, string? Reason);
