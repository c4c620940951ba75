namespace Deconflict.Core.Model;

/// <summary>
/// A clock that runs <see cref="Speed"/> times faster than the one it wraps, from a chosen start
/// instant: simulated time for the demo. Everything that takes a <see cref="TimeProvider"/> (the
/// server's detection cycle, line clocks, record heads, the simulators' own waits) then sees one
/// consistent accelerated time: <see cref="GetUtcNow"/> and <see cref="GetTimestamp"/> advance
/// <see cref="Speed"/> times faster than the inner clock, and timers (so <c>PeriodicTimer</c> and
/// <c>Task.Delay</c> given this provider) fire after their due time and period divided by the speed.
/// </summary>
/// <remarks>
/// The inner clock's timers count whole milliseconds, and a period of zero means "fire once", so
/// a positive interval is never scaled below one inner millisecond: at 600x a 100 ms interval
/// fires after 1 ms of real time (600 ms simulated), not in a tight loop.
/// </remarks>
public sealed class AcceleratedTime : TimeProvider
{
    private static readonly TimeSpan LeastInner = TimeSpan.FromMilliseconds(1);

    private readonly TimeProvider _inner;
    private readonly DateTimeOffset _start;
    private readonly long _innerStart;

    /// <param name="start">The simulated time now.</param>
    /// <param name="speed">Simulated seconds per inner second; at least 1.</param>
    /// <param name="inner">The clock to accelerate (the system clock unless a test fakes it).</param>
    public AcceleratedTime(DateTimeOffset start, double speed, TimeProvider? inner = null)
    {
        if (!(speed >= 1) || double.IsInfinity(speed))
        {
            throw new ArgumentOutOfRangeException(nameof(speed), speed, "The speed must be a finite number of at least 1.");
        }

        _inner = inner ?? System;
        _start = start.ToUniversalTime();
        _innerStart = _inner.GetTimestamp();
        Speed = speed;
    }

    public double Speed { get; }

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <summary>Simulated time elapsed since the start.</summary>
    public TimeSpan Elapsed => TimeSpan.FromSeconds((_inner.GetTimestamp() - _innerStart) * Speed / _inner.TimestampFrequency);

    public override DateTimeOffset GetUtcNow() => _start + Elapsed;

    public override long GetTimestamp() => _innerStart + (long)((_inner.GetTimestamp() - _innerStart) * Speed);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new ScaledTimer(_inner.CreateTimer(callback, state, Scale(dueTime), Scale(period)), this);

    /// <summary>The inner interval that lasts <paramref name="simulated"/>: infinite stays infinite, zero stays zero.</summary>
    internal TimeSpan Scale(TimeSpan simulated)
    {
        if (simulated == Timeout.InfiniteTimeSpan || simulated <= TimeSpan.Zero)
        {
            return simulated;
        }

        var inner = TimeSpan.FromTicks((long)Math.Ceiling(simulated.Ticks / Speed));
        return inner < LeastInner ? LeastInner : inner;
    }

    private sealed class ScaledTimer(ITimer inner, AcceleratedTime time) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(time.Scale(dueTime), time.Scale(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
