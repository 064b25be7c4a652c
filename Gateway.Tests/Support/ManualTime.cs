namespace Gateway.Tests.Support;

/// <summary>Virtual time for code that takes a <see cref="TimeProvider"/>: it moves only when the test moves it.</summary>
public sealed class ManualTime : TimeProvider
{
    private long _ticks = TimeSpan.FromHours(1).Ticks;
    private readonly DateTimeOffset _start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => _start + TimeSpan.FromTicks(GetTimestamp());

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
