using Deconflict.Core.Feeds;
using Deconflict.Core.Tactical;

namespace Deconflict.Core.Tests.Feeds;

/// <summary>
/// A recorded-style BaseStation stream (Data/sbs1-replay.txt: every line kind, MSG 1-8, malformed
/// lines, out-of-order lines, five aircraft) replayed through the feed, from a receiver on +02:00.
/// </summary>
public sealed class SbsReplayTests
{
    /// <summary>Positions are copied from the lines, so they must come out exactly; the rest to 1e-9.</summary>
    private const double Tolerance = 1e-9;

    private static readonly TimeSpan ReceiverOffset = TimeSpan.FromHours(2);

    /// <summary>
    /// The tracks the replay must give, worked out by hand from the lines (velocity components
    /// computed separately: east = kt * 1852/3600 * sin(track), north = ... cos(track),
    /// up = ft/min * 0.00508; altitude = ft * 0.3048), with the line that completes each.
    /// </summary>
    public static readonly TrackReport[] Expected =
    [
        // MSG 3 at 11:00:00.250 local held until the MSG 4 at .480 gives a velocity 0.23 s later.
        new("4CA2D6", At(0, 250), 35.41253, 35.95104, 11277.6, new Enu(231.57271827161685, -22.705903549746978, -0.32512), "RYR4TZ"),
        // The next MSG 3 is reported at once with the velocity it already has.
        new("4CA2D6", At(0, 910), 35.41250, 35.95341, 11277.6, new Enu(231.57271827161685, -22.705903549746978, -0.32512), "RYR4TZ"),
        // Velocity first, then the position; the older MSG 3 (01.150) after it is out of order and
        // dropped, and the newer velocity (01.700) does not repeat the reported position.
        new("3C6586", At(1, 300), 35.60012, 36.10447, 7353.3, new Enu(-199.5448604780565, 4.876771346727863, 7.477760000000001), "DLH9AB"),
        new("3C6586", At(2, 100), 35.60019, 36.10301, 7360.92, new Enu(-200.6027759048773, 3.5015344782002384, 7.80288), "DLH9AB"),
        // Its velocity of 11:00:02.000 is 11.5 s older than the position (limit 10 s): the
        // position waits for the velocity of 14.000.
        new("06A0AB", At(13, 500), 35.10021, 35.70133, 9753.6, new Enu(-162.64892214067945, 180.6399284529176, -0.65024), "QTR8KN"),
        // A non-ICAO (TIS-B) address keeps its '~'; its MSG 4 has no vertical rate: 0.
        new("~A1B2C3", At(13, 700), 35.51234, 35.80011, 1676.4, new Enu(50.927401729457785, 50.9274017294578, 0), null),
    ];

    public static string ReplayPath => Path.Combine(RepositoryRoot(), "tests", "Deconflict.Core.Tests", "Feeds", "Data", "sbs1-replay.txt");

    [Fact]
    public void The_replay_gives_exactly_the_expected_tracks()
    {
        var feed = new SbsFeed(ReceiverOffset);
        var reports = File.ReadLines(ReplayPath).Select(l => feed.Accept(l.AsSpan())).OfType<TrackReport>().ToList();

        Assert.Equal(Expected.Length, reports.Count);
        for (var i = 0; i < Expected.Length; i++)
        {
            AssertReport(Expected[i], reports[i]);
        }
    }

    [Fact]
    public void The_replay_counts_every_kind_and_every_malformed_line_with_its_reason()
    {
        var feed = new SbsFeed(ReceiverOffset);
        foreach (var line in File.ReadLines(ReplayPath))
        {
            feed.Accept(line.AsSpan());
        }

        var counts = feed.Counts();
        Assert.Equal(File.ReadLines(ReplayPath).Count(), counts.Lines);
        Assert.Equal(9, counts.Malformed);
        Assert.Equal(
            new Dictionary<SbsErrorKind, long>
            {
                [SbsErrorKind.Empty] = 1,
                [SbsErrorKind.UnknownKind] = 1,
                [SbsErrorKind.FieldCount] = 2,
                [SbsErrorKind.BadNumber] = 1,
                [SbsErrorKind.BadDate] = 1,
                [SbsErrorKind.BadTime] = 1,
                [SbsErrorKind.LatitudeOutOfRange] = 1,
                [SbsErrorKind.BadHexIdent] = 1,
            },
            counts.MalformedByKind);
        Assert.Equal("line 31: bad time in field 8 (time generated) (HH:mm:ss.fff)", counts.LastMalformed);
        Assert.Equal(1, counts.ByKind[SbsKind.Clk]);
        Assert.Equal(2, counts.ByKind[SbsKind.Air]);
        Assert.Equal(1, counts.ByKind[SbsKind.Id]);
        Assert.Equal(1, counts.ByKind[SbsKind.Sel]);
        Assert.Equal(1, counts.ByKind[SbsKind.Sta]);
        Assert.Equal(21, counts.ByKind[SbsKind.Msg]);
        Assert.Equal<long>([0, 3, 1, 7, 6, 1, 1, 1, 1], counts.ByMsgType);
        Assert.Equal(new SbsMergeCounts(Positions: 6, Velocities: 6, Callsigns: 3, Reports: 6, OutOfOrder: 1, Incomplete: 0, Ignored: 11, Forgotten: 0, Aircraft: 4), counts.Merge);
    }

    [Fact]
    public void Bytes_and_text_give_the_same_tracks()
    {
        var text = new SbsFeed(ReceiverOffset);
        var bytes = new SbsFeed(ReceiverOffset);
        foreach (var line in File.ReadLines(ReplayPath))
        {
            var a = text.Accept(line.AsSpan());
            var b = bytes.Accept(System.Text.Encoding.UTF8.GetBytes(line + "\r"));
            Assert.Equal(a, b);
        }

        Assert.Equal(text.Counts().Merge, bytes.Counts().Merge);
    }

    internal static void AssertReport(TrackReport expected, TrackReport actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Time, actual.Time);
        Assert.Equal(TimeSpan.Zero, actual.Time.Offset);
        Assert.Equal(expected.Lat, actual.Lat, Tolerance);
        Assert.Equal(expected.Lng, actual.Lng, Tolerance);
        Assert.Equal(expected.AltitudeM, actual.AltitudeM, Tolerance);
        Assert.Equal(expected.Velocity.East, actual.Velocity.East, Tolerance);
        Assert.Equal(expected.Velocity.North, actual.Velocity.North, Tolerance);
        Assert.Equal(expected.Velocity.Up, actual.Velocity.Up, Tolerance);
        Assert.Equal(expected.Callsign, actual.Callsign);
    }

    /// <summary>11:00:ss.fff local on 2026-11-26 at +02:00 is 09:00:ss.fff UTC.</summary>
    private static DateTimeOffset At(int second, int millisecond) => new(2026, 11, 26, 9, 0, second, millisecond, TimeSpan.Zero);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Deconflict.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Deconflict.slnx) above " + AppContext.BaseDirectory);
    }
}
