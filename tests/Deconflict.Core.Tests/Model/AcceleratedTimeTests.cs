using Deconflict.Core.Model;
using Microsoft.Extensions.Time.Testing;

namespace Deconflict.Core.Tests.Model;

/// <summary>Simulated time: exact scaling of the clock and the timestamps, and timers that fire at simulated intervals, in order.</summary>
public sealed class AcceleratedTimeTests
{
    private static readonly DateTimeOffset Start = new(2015, 10, 20, 6, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Real = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(1, 1500, 1.5)]
    [InlineData(60, 1500, 90)]
    [InlineData(600, 250, 150)]
    public void The_clock_and_the_timestamps_run_speed_times_faster_from_the_start(double speed, int realMs, double simulatedS)
    {
        var real = new FakeTimeProvider(Real);
        var time = new AcceleratedTime(Start, speed, real);
        Assert.Equal(Start, time.GetUtcNow());
        var t0 = time.GetTimestamp();

        real.Advance(TimeSpan.FromMilliseconds(realMs));

        Assert.Equal(Start.AddSeconds(simulatedS), time.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(simulatedS), time.GetElapsedTime(t0));
        Assert.Equal(TimeSpan.FromSeconds(simulatedS), time.Elapsed);
        Assert.Equal(TimeZoneInfo.Utc, time.LocalTimeZone);
    }

    [Fact]
    public async Task A_delay_ends_after_its_simulated_length_not_before()
    {
        var real = new FakeTimeProvider(Real);
        var time = new AcceleratedTime(Start, 60, real);
        var delay = Task.Delay(TimeSpan.FromSeconds(60), time);

        real.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(delay.IsCompleted);
        real.Advance(TimeSpan.FromMilliseconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Start.AddSeconds(60), time.GetUtcNow());
    }

    [Fact]
    public async Task Timers_fire_in_the_order_of_their_simulated_due_times_and_periodic_timers_keep_their_period()
    {
        var real = new FakeTimeProvider(Real);
        var time = new AcceleratedTime(Start, 60, real);
        var fired = new List<string>();
        using var late = time.CreateTimer(_ => { lock (fired) { fired.Add("120 s"); } }, null, TimeSpan.FromSeconds(120), Timeout.InfiniteTimeSpan);
        using var early = time.CreateTimer(_ => { lock (fired) { fired.Add("30 s"); } }, null, TimeSpan.FromSeconds(30), Timeout.InfiniteTimeSpan);
        using var periodic = new PeriodicTimer(TimeSpan.FromSeconds(60), time);
        var ticks = new List<int>();
        var pending = periodic.WaitForNextTickAsync().AsTask();
        for (var ms = 100; ms <= 2500; ms += 100)
        {
            real.Advance(TimeSpan.FromMilliseconds(100));
            if (pending.IsCompleted)
            {
                ticks.Add(ms);
                pending = periodic.WaitForNextTickAsync().AsTask();
            }
        }

        // 2.5 s of real time is 150 s simulated: ticks at 60 s and 120 s (1 s and 2 s of real time), and both one-shot timers.
        Assert.Equal([1000, 2000], ticks);
        await Task.Yield();
        Assert.Equal(["30 s", "120 s"], fired);
    }

    [Fact]
    public void Intervals_scale_exactly_stay_infinite_and_never_drop_below_one_inner_millisecond()
    {
        var time = new AcceleratedTime(Start, 600, new FakeTimeProvider(Real));
        Assert.Equal(TimeSpan.FromMilliseconds(100), time.Scale(TimeSpan.FromMinutes(1)));
        Assert.Equal(Timeout.InfiniteTimeSpan, time.Scale(Timeout.InfiniteTimeSpan));
        Assert.Equal(TimeSpan.Zero, time.Scale(TimeSpan.Zero));
        // 100 ms / 600 would be 0.17 ms, which the inner timer would round to zero: a period of zero fires once.
        Assert.Equal(TimeSpan.FromMilliseconds(1), time.Scale(TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public void A_changed_timer_uses_the_scaled_due_time()
    {
        var real = new FakeTimeProvider(Real);
        var time = new AcceleratedTime(Start, 10, real);
        var count = 0;
        using var timer = time.CreateTimer(_ => Interlocked.Increment(ref count), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        real.Advance(TimeSpan.FromSeconds(100));
        Assert.Equal(0, count);
        Assert.True(timer.Change(TimeSpan.FromSeconds(50), Timeout.InfiniteTimeSpan));
        real.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.Equal(0, count);
        real.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, count);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_speed_below_one_or_not_finite_is_refused(double speed) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new AcceleratedTime(Start, speed));
}
