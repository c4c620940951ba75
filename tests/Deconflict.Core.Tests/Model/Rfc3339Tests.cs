using System.Globalization;
using Deconflict.Core.Model;

namespace Deconflict.Core.Tests.Model;

public class Rfc3339Tests
{
    [Theory]
    [InlineData("2026-11-26T09:00:00Z", "2026-11-26T09:00:00.0000000Z")]
    [InlineData("2026-11-26t09:00:00z", "2026-11-26T09:00:00.0000000Z")]
    [InlineData("2026-11-26T09:00:00.5Z", "2026-11-26T09:00:00.5000000Z")]
    [InlineData("2026-11-26T09:00:00.123456789Z", "2026-11-26T09:00:00.1234567Z")]   // truncated to 100 ns ticks
    [InlineData("2026-11-26T11:00:00+02:00", "2026-11-26T09:00:00.0000000Z")]
    [InlineData("2026-11-26T00:30:00-05:30", "2026-11-26T06:00:00.0000000Z")]
    [InlineData("2026-01-01T00:30:00+14:00", "2025-12-31T10:30:00.0000000Z")]       // across the year
    [InlineData("2028-02-29T23:59:59.9999999Z", "2028-02-29T23:59:59.9999999Z")]    // leap day
    public void Valid_times_are_read_to_utc(string text, string utc)
    {
        Assert.Equal(Rfc3339Result.Ok, Rfc3339.Parse(text, out var value));
        Assert.Equal(TimeSpan.Zero, value.Offset);
        Assert.Equal(utc, value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("2026-11-26T09:00:00")]          // no offset: refused, not taken as local
    [InlineData("2026-11-26 09:00:00Z")]
    [InlineData("2026-11-26")]
    [InlineData("2026-11-26T09:00Z")]
    [InlineData("2026-11-26T09:00:00.Z")]
    [InlineData("2026-11-26T09:00:00+0200")]
    [InlineData("26-11-26T09:00:00Z")]
    [InlineData("")]
    [InlineData(null)]
    public void Malformed_times_are_refused(string? text) => Assert.Equal(Rfc3339Result.Malformed, Rfc3339.Parse(text, out _));

    [Theory]
    [InlineData("2026-02-29T09:00:00Z")]
    [InlineData("2026-11-31T09:00:00Z")]
    [InlineData("2026-11-26T24:00:00Z")]
    [InlineData("2026-11-26T09:60:00Z")]
    [InlineData("2026-11-26T09:00:60Z")]   // leap seconds are not representable
    [InlineData("2026-13-01T09:00:00Z")]
    [InlineData("0001-01-01T00:00:00+01:00")]   // before the first representable instant
    public void Impossible_times_are_told_apart(string text) => Assert.Equal(Rfc3339Result.Impossible, Rfc3339.Parse(text, out _));

    [Fact]
    public void The_fast_path_agrees_with_the_framework_on_random_times()
    {
        var rnd = new Random(11);
        for (var i = 0; i < 20_000; i++)
        {
            var t = new DateTime(1900 + rnd.Next(300), 1, 1).AddTicks((long)(rnd.NextDouble() * TimeSpan.TicksPerDay * 365));
            var offset = TimeSpan.FromMinutes(rnd.Next(-14 * 60, (14 * 60) + 1));
            var fraction = rnd.Next(10) switch { 0 => "", 1 => ".5", _ => "." + rnd.NextInt64(10_000_000).ToString("D7", CultureInfo.InvariantCulture) };
            var text = t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + fraction + (offset == TimeSpan.Zero && rnd.Next(2) == 0 ? "Z" : offset.ToString(offset < TimeSpan.Zero ? "'-'hh':'mm" : "'+'hh':'mm", CultureInfo.InvariantCulture));
            var expected = DateTimeOffset.ParseExact(text, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture, DateTimeStyles.None).ToUniversalTime();
            Assert.Equal(Rfc3339Result.Ok, Rfc3339.Parse(text, out var value));
            Assert.Equal(expected.UtcTicks, value.UtcTicks);
        }
    }

    [Theory]
    [InlineData(0L, "2026-11-26T22:11:51Z", "2026-11-26T22:11:51.000Z")]
    [InlineData(1L, "2026-11-26T22:11:51.0000001Z", "2026-11-26T22:11:51.000Z")]
    [InlineData(5_000_000L, "2026-11-26T22:11:51.5Z", "2026-11-26T22:11:51.500Z")]
    [InlineData(9_999_999L, "2026-11-26T22:11:51.9999999Z", "2026-11-26T22:11:51.999Z")]
    [InlineData(1_230_000L, "2026-11-26T22:11:51.123Z", "2026-11-26T22:11:51.123Z")]
    public void Times_are_written_in_utc_with_the_fraction_each_form_keeps(long extraTicks, string api, string record)
    {
        // +03:00 input: both forms are written in UTC.
        var t = new DateTimeOffset(2026, 11, 27, 1, 11, 51, TimeSpan.FromHours(3)).AddTicks(extraTicks);
        Assert.Equal(api, Rfc3339.FormatUtc(t));
        Assert.Equal(record, Rfc3339.FormatUtcMilliseconds(t));
    }

    [Fact]
    public void The_writers_agree_with_the_framework_custom_formats_on_random_times()
    {
        var rnd = new Random(12);
        for (var i = 0; i < 20_000; i++)
        {
            var ticks = rnd.Next(4) switch
            {
                0 => rnd.NextInt64(DateTime.MaxValue.Ticks) / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond,
                1 => rnd.NextInt64(DateTime.MaxValue.Ticks) / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond,
                _ => rnd.NextInt64(DateTime.MaxValue.Ticks),
            };
            var t = new DateTimeOffset(ticks, TimeSpan.Zero);
            Assert.Equal(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture), Rfc3339.FormatUtc(t));
            Assert.Equal(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture), Rfc3339.FormatUtcMilliseconds(t));
        }
    }
}
