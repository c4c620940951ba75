using Deconflict.Core.Feeds;

namespace Deconflict.Core.Tests.Feeds;

/// <summary>The SBS-1 line parser and the merger's rules, case by case.</summary>
public sealed class Sbs1Tests
{
    private const string Position = "MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0";

    [Fact]
    public void A_position_line_is_read_field_by_field()
    {
        var m = Sbs1.Parse(Position, TimeSpan.Zero);
        Assert.Equal(SbsKind.Msg, m.Kind);
        Assert.Equal(3, m.TransmissionType);
        Assert.Equal(0x4CA2D6u, m.Icao);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 11, 0, 0, 250, TimeSpan.Zero), m.Time);
        Assert.Equal(37000, m.AltitudeFt);
        Assert.Equal(35.41253, m.Latitude);
        Assert.Equal(35.95104, m.Longitude);
        Assert.Null(m.GroundSpeedKt);
        Assert.Null(m.Callsign);
    }

    [Fact]
    public void A_velocity_line_and_an_identification_line()
    {
        var v = Sbs1.Parse("MSG,4,1,1,4ca2d6,1,2026/11/26,11:00:00.480,2026/11/26,11:00:00.480,,,452.3,95.6,,,-64,,0,0,0,0", TimeSpan.Zero);
        Assert.Equal((0x4CA2D6u, 452.3, 95.6, -64.0), (v.Icao, v.GroundSpeedKt!.Value, v.TrackDeg!.Value, v.VerticalRateFtPerMin!.Value));
        var id = Sbs1.Parse("MSG,1,1,1,4CA2D6,1,2026/11/26,11:00:00.120,2026/11/26,11:00:00.120,RYR4TZ  ,,,,,,,,,,,0", TimeSpan.Zero);
        Assert.Equal("RYR4TZ", id.Callsign);
    }

    [Theory]
    [InlineData("CLK,,111,-1,,-1,2026/11/26,10:59:59.000,2026/11/26,10:59:59.000", SbsKind.Clk)]
    [InlineData("AIR,,111,1,4CA2D6,1,2026/11/26,11:00:00.012,2026/11/26,11:00:00.012", SbsKind.Air)]
    [InlineData("ID,,111,1,4CA2D6,1,2026/11/26,11:00:00.013,2026/11/26,11:00:00.013,RYR4TZ", SbsKind.Id)]
    [InlineData("SEL,,111,2,3C6586,2,2026/11/26,11:00:01.500,2026/11/26,11:00:01.500,DLH9AB", SbsKind.Sel)]
    [InlineData("STA,,111,5,4B1805,5,2026/11/26,11:00:02.500,2026/11/26,11:00:02.500,RM", SbsKind.Sta)]
    public void Other_kinds_are_recognised_and_carry_nothing(string line, SbsKind kind)
    {
        var m = Sbs1.Parse(line, TimeSpan.Zero);
        Assert.Equal(kind, m.Kind);
        Assert.Equal(0, m.TransmissionType);
    }

    [Theory]
    [InlineData("", SbsErrorKind.Empty, 0)]
    [InlineData("\r", SbsErrorKind.Empty, 0)]
    [InlineData("garbage", SbsErrorKind.UnknownKind, 1)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:0", SbsErrorKind.FieldCount, 10)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0,MSG,4", SbsErrorKind.FieldCount, 23)]
    [InlineData("CLK,,111,-1", SbsErrorKind.FieldCount, 4)]
    [InlineData("MSG,9,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0", SbsErrorKind.BadTransmissionType, 2)]
    [InlineData("MSG,3,1,1,4CA2D,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0", SbsErrorKind.BadHexIdent, 5)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/02/30,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0", SbsErrorKind.BadDate, 7)]
    [InlineData("MSG,3,1,1,4CA2D6,1,26/11/2026,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0", SbsErrorKind.BadDate, 7)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,24:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0", SbsErrorKind.BadTime, 8)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.2500000000,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0", SbsErrorKind.BadTime, 8)]
    [InlineData("MSG,3,1,1,4CA2D6,1,,,,,,37000,,,35.41253,35.95104,,,0,0,0,0", SbsErrorKind.NoTime, 7)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37O00,,,35.41253,35.95104,,,0,0,0,0", SbsErrorKind.BadNumber, 12)]
    [InlineData("MSG,4,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,,452.3,NaN,,,-64,,0,0,0,0", SbsErrorKind.BadNumber, 14)]
    [InlineData("MSG,4,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,,452.3,95.6,,,1e3,,0,0,0,0", SbsErrorKind.BadNumber, 17)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35,41253,35.95104,,,0,0,0", SbsErrorKind.LongitudeOutOfRange, 16)] // a comma in a number shifts the fields
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,35.95104,,,0,0,0,0,", SbsErrorKind.FieldCount, 23)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,-90.00001,35.95104,,,0,0,0,0", SbsErrorKind.LatitudeOutOfRange, 15)]
    [InlineData("MSG,3,1,1,4CA2D6,1,2026/11/26,11:00:00.250,2026/11/26,11:00:00.250,,37000,,,35.41253,180.5,,,0,0,0,0", SbsErrorKind.LongitudeOutOfRange, 16)]
    public void Malformed_lines_are_refused_with_the_reason_and_field(string line, SbsErrorKind kind, int field)
    {
        Assert.False(Sbs1.TryParse(line.AsSpan(), TimeSpan.Zero, out _, out var error));
        Assert.Equal(new SbsError(kind, field), error);
        Assert.False(Sbs1.TryParse(System.Text.Encoding.UTF8.GetBytes(line), TimeSpan.Zero, out _, out var byteError));
        Assert.Equal(error, byteError);
        var thrown = Assert.Throws<FormatException>(() => Sbs1.Parse(line, TimeSpan.Zero));
        Assert.Contains(error.Describe(), thrown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_too_long_is_refused()
    {
        Assert.False(Sbs1.TryParse(new string('9', Sbs1.MaxLineBytes + 1).AsSpan(), TimeSpan.Zero, out _, out var error));
        Assert.Equal(SbsErrorKind.TooLong, error.Kind);
    }

    [Fact]
    public void A_crlf_line_end_and_the_logged_time_when_the_generated_one_is_empty()
    {
        var m = Sbs1.Parse("MSG,3,1,1,4CA2D6,1,,,2026/11/26,11:00:00.5,,37000,,,35.41253,35.95104,,,0,0,0,0\r", TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 11, 26, 11, 0, 0, 500, TimeSpan.Zero), m.Time);
    }

    [Theory]
    [InlineData("2026/11/26", "11:00:00.250", "+02:00", "2026-11-26T09:00:00.2500000Z")]
    [InlineData("2026/11/26", "11:00:00.250", "-05:00", "2026-11-26T16:00:00.2500000Z")]
    [InlineData("2026/03/01", "01:30:00.000", "+02:00", "2026-02-28T23:30:00.0000000Z")] // back across midnight and a month end
    [InlineData("2028/03/01", "00:15:00.000", "+05:30", "2028-02-29T18:45:00.0000000Z")] // into a leap day
    [InlineData("2026/12/31", "22:00:00.125", "-03:00", "2027-01-01T01:00:00.1250000Z")] // forward into the next year
    [InlineData("2026/11/26", "23:59:59.999", "+00:00", "2026-11-26T23:59:59.9990000Z")]
    public void The_receivers_local_time_is_turned_into_utc_with_its_offset(string date, string time, string offset, string utc)
    {
        var line = $"MSG,3,1,1,4CA2D6,1,{date},{time},{date},{time},,37000,,,35.41253,35.95104,,,0,0,0,0";
        var m = Sbs1.Parse(line, TimeSpan.Parse(offset.TrimStart('+'), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(utc, m.Time.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(TimeSpan.Zero, m.Time.Offset);
    }

    [Fact]
    public void Conversions_are_exact()
    {
        Assert.Equal(0.3048, SbsMerger.MetresPerFoot);
        Assert.Equal(1852.0 / 3600.0, SbsMerger.MetresPerSecondPerKnot);
        Assert.Equal(0.3048 / 60.0, SbsMerger.MetresPerSecondPerFootPerMinute, 1e-18);
        var merger = new SbsMerger();
        merger.Add(Sbs1.Parse("MSG,4,1,1,ABCDEF,1,2026/11/26,11:00:00.000,2026/11/26,11:00:00.000,,,100,90,,,1000,,0,0,0,0", TimeSpan.Zero));
        var r = merger.Add(Sbs1.Parse("MSG,3,1,1,ABCDEF,1,2026/11/26,11:00:00.500,2026/11/26,11:00:00.500,,10000,,,35,36,,,0,0,0,0", TimeSpan.Zero))!;
        Assert.Equal(3048.0, r.AltitudeM, 1e-9);                  // 10,000 ft
        Assert.Equal(51.44444444444444, r.Velocity.East, 1e-9);  // 100 kt due east
        Assert.Equal(0.0, r.Velocity.North, 1e-9);
        Assert.Equal(5.08, r.Velocity.Up, 1e-12);                // 1,000 ft/min
        var north = new SbsMerger();
        north.Add(Sbs1.Parse("MSG,4,1,1,ABCDEF,1,2026/11/26,11:00:00.000,2026/11/26,11:00:00.000,,,3600,0,,,-60,,0,0,0,0", TimeSpan.Zero));
        var n = north.Add(Sbs1.Parse("MSG,3,1,1,ABCDEF,1,2026/11/26,11:00:00.500,2026/11/26,11:00:00.500,,-1000,,,35,36,,,0,0,0,0", TimeSpan.Zero))!;
        Assert.Equal(1852.0, n.Velocity.North, 1e-9);            // 3,600 kt is 1 NM per second
        Assert.Equal(-0.3048, n.Velocity.Up, 1e-12);             // -60 ft/min is one foot per second down
        Assert.Equal(-304.8, n.AltitudeM, 1e-9);
    }

    [Theory]
    [InlineData(10.0, 10_000, true)]    // exactly the limit
    [InlineData(10.0, 10_001, false)]
    [InlineData(10.0, -10_000, true)]   // a velocity newer than the position counts the same
    [InlineData(10.0, -10_001, false)]
    [InlineData(2.0, 2_000, true)]      // a configured limit
    [InlineData(2.0, 3_000, false)]
    public void The_velocity_age_rule(double maxAgeSeconds, int velocityOlderByMs, bool reported)
    {
        var merger = new SbsMerger(new SbsMergerOptions { MaxVelocityAge = TimeSpan.FromSeconds(maxAgeSeconds) });
        var positionAt = new DateTime(2026, 11, 26, 11, 0, 30);
        merger.Add(Velocity("ABCDEF", positionAt.AddMilliseconds(-velocityOlderByMs), 300, 45));
        var report = merger.Add(PositionAt("ABCDEF", positionAt, 35, 36, 20000));
        Assert.Equal(reported, report is not null);
    }

    [Fact]
    public void A_held_position_is_reported_once_a_recent_velocity_arrives_and_never_twice()
    {
        var merger = new SbsMerger();
        var t = new DateTime(2026, 11, 26, 11, 0, 0);
        Assert.Null(merger.Add(PositionAt("ABCDEF", t, 35, 36, 20000)));
        var first = merger.Add(Velocity("ABCDEF", t.AddSeconds(0.5), 300, 45));
        Assert.NotNull(first);
        Assert.Equal(new DateTimeOffset(t, TimeSpan.Zero), first.Time);
        Assert.Null(merger.Add(Velocity("ABCDEF", t.AddSeconds(1), 310, 46)));
        var second = merger.Add(PositionAt("ABCDEF", t.AddSeconds(1.5), 35.01, 36.01, 20000))!;
        Assert.Equal(310 * 1852.0 / 3600.0 * Math.Sin(46 * Math.PI / 180), second.Velocity.East, 1e-9);
        Assert.Equal(2, merger.Counts.Reports);
    }

    [Fact]
    public void Out_of_order_positions_and_velocities_are_dropped_and_counted()
    {
        var merger = new SbsMerger();
        var t = new DateTime(2026, 11, 26, 11, 0, 0);
        merger.Add(Velocity("ABCDEF", t.AddSeconds(2), 300, 90));
        Assert.NotNull(merger.Add(PositionAt("ABCDEF", t.AddSeconds(3), 35, 36, 20000)));
        Assert.Null(merger.Add(PositionAt("ABCDEF", t.AddSeconds(2.5), 34, 35, 20000)));  // older
        Assert.Null(merger.Add(PositionAt("ABCDEF", t.AddSeconds(3), 34, 35, 20000)));    // same time again
        Assert.Null(merger.Add(Velocity("ABCDEF", t.AddSeconds(1), 100, 0)));              // older velocity: kept the newer
        var next = merger.Add(PositionAt("ABCDEF", t.AddSeconds(4), 35.1, 36, 20000))!;
        Assert.Equal(300 * 1852.0 / 3600.0, next.Velocity.East, 1e-9);
        Assert.Equal(3, merger.Counts.OutOfOrder);
        Assert.Equal(2, merger.Counts.Reports);
    }

    [Fact]
    public void Aircraft_not_heard_from_are_forgotten_in_feed_time()
    {
        var merger = new SbsMerger(new SbsMergerOptions { ForgetAfter = TimeSpan.FromSeconds(60) });
        var t = new DateTime(2026, 11, 26, 11, 0, 0);
        for (var i = 0; i < 1000; i++)
        {
            merger.Add(PositionAt((0x100000 + i).ToString("X6", System.Globalization.CultureInfo.InvariantCulture), t, 35, 36, 20000));
        }

        Assert.Equal(1000, merger.AircraftCount);
        merger.Add(PositionAt("ABCDEF", t.AddSeconds(59), 35, 36, 20000));
        Assert.Equal(1001, merger.AircraftCount);
        merger.Add(PositionAt("ABCDEF", t.AddSeconds(91), 35, 36, 20000));
        Assert.Equal(1, merger.AircraftCount);
        Assert.Equal(1000, merger.Counts.Forgotten);
    }

    [Fact]
    public void Messages_that_carry_nothing_for_a_track_are_ignored_and_create_no_aircraft()
    {
        var merger = new SbsMerger();
        merger.Add(Sbs1.Parse("MSG,5,1,1,ABCDEF,1,2026/11/26,11:00:00.000,2026/11/26,11:00:00.000,,10000,,,,,,,0,,0,0", TimeSpan.Zero));
        merger.Add(Sbs1.Parse("MSG,2,1,1,ABCDEF,1,2026/11/26,11:00:00.000,2026/11/26,11:00:00.000,,0,12.5,184.0,35.40102,35.94866,,,,,,-1", TimeSpan.Zero));
        merger.Add(Sbs1.Parse("MSG,3,1,1,ABCDEF,1,2026/11/26,11:00:00.000,2026/11/26,11:00:00.000,,,,,35,36,,,0,0,0,0", TimeSpan.Zero)); // no altitude
        Assert.Equal(2, merger.Counts.Ignored);
        Assert.Equal(1, merger.Counts.Incomplete);
        Assert.Equal(0, merger.AircraftCount);
    }

    private static SbsMessage PositionAt(string hex, DateTime t, double lat, double lng, double ft) =>
        Sbs1.Parse(FormattableString.Invariant($"MSG,3,1,1,{hex},1,{t:yyyy/MM/dd},{t:HH:mm:ss.fff},{t:yyyy/MM/dd},{t:HH:mm:ss.fff},,{ft},,,{lat},{lng},,,0,0,0,0"), TimeSpan.Zero);

    private static SbsMessage Velocity(string hex, DateTime t, double kt, double track) =>
        Sbs1.Parse(FormattableString.Invariant($"MSG,4,1,1,{hex},1,{t:yyyy/MM/dd},{t:HH:mm:ss.fff},{t:yyyy/MM/dd},{t:HH:mm:ss.fff},,,{kt},{track},,,0,,0,0,0,0"), TimeSpan.Zero);
}
