using Deconflict.Core.Geometry;
using Deconflict.Core.Tactical;

namespace Deconflict.Core.Tests.Tactical;

/// <summary>The grid detector finds exactly what the all-pairs reference finds, anywhere on the globe.</summary>
public class TacticalDetectorTests
{
    private const double D = 5556.0;
    private const double H = 304.8;
    private const double T = 120.0;
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(35.0, 38.0, 1)]
    [InlineData(0.0, 179.7, 2)]   // across the antimeridian
    [InlineData(80.0, 20.0, 3)]   // at 80 degrees of latitude
    [InlineData(-80.0, -179.8, 4)]
    public void The_grid_finds_exactly_the_all_pairs_conflicts(double lat, double lng, int seed)
    {
        var rnd = new Random(seed);
        var tracks = new List<TrackState>();
        for (var i = 0; i < 1500; i++)
        {
            // Dense traffic within about 150 km, 100 to 300 m/s, altitudes in 3 km, reports up to 5 s old.
            var at = Geodesic.Direct(new GeoPoint(lat, lng), rnd.NextDouble() * 360, rnd.NextDouble() * 150_000);
            var speed = 100 + (rnd.NextDouble() * 200);
            var track = rnd.NextDouble() * 2 * Math.PI;
            tracks.Add(new TrackState(
                rnd.Next(3) switch { 0 => "blue", 1 => "red", _ => "green" },
                $"T{i}",
                Now.AddSeconds(-rnd.NextDouble() * 5),
                at.Lat,
                at.Lng,
                9000 + (rnd.NextDouble() * 3000),
                new Enu(speed * Math.Sin(track), speed * Math.Cos(track), (rnd.NextDouble() - 0.5) * 20)));
        }

        var grid = TacticalDetector.Detect(tracks, Now, D, H, T);
        var all = TacticalDetector.DetectAllPairs(tracks, Now, D, H, T);
        Assert.True(all.Count > 50, $"the traffic should be dense enough to matter: {all.Count} conflicts");
        Assert.Equal(all.Select(c => (c.A, c.B)), grid.Select(c => (c.A, c.B)));
        Assert.All(grid, c => Assert.NotEqual(tracks[c.A].Party, tracks[c.B].Party));
    }

    /// <summary>
    /// Mixed traffic: hovering and slow aircraft next to fast ones, climbs and descents, reports
    /// from a few seconds to an hour old (and one from the future). The same pairs in the same order
    /// with bit-identical encounters, with and without same-party pairs.
    /// </summary>
    [Theory]
    [InlineData(35.0, 38.0, 11, false)]
    [InlineData(35.0, 38.0, 12, true)]
    [InlineData(0.0, 180.0, 13, false)]     // centred on the antimeridian at the equator
    [InlineData(-0.05, -179.95, 14, true)]
    [InlineData(80.0, 179.9, 15, false)]    // 80 N, across the antimeridian
    [InlineData(80.0, -20.0, 16, true)]
    [InlineData(-80.0, 179.9, 17, true)]    // 80 S, across the antimeridian
    [InlineData(-80.0, 60.0, 18, false)]
    [InlineData(90.0, 0.0, 19, false)]      // around the North Pole: every meridian meets here
    [InlineData(90.0, 0.0, 20, true)]
    public void Mixed_traffic_gives_identical_conflicts_and_encounters(double lat, double lng, int seed, bool sameParty)
    {
        var tracks = MixedTraffic(new Random(seed), new GeoPoint(lat, lng), 1500, 120_000);

        var grid = TacticalDetector.Detect(tracks, Now, D, H, T, sameParty);
        var all = TacticalDetector.DetectAllPairs(tracks, Now, D, H, T, sameParty);

        Assert.True(all.Count > 50, $"the traffic should be dense enough to matter: {all.Count} conflicts");
        Assert.Equal(all, grid);
        Assert.Equal(sameParty, grid.Any(c => tracks[c.A].Party == tracks[c.B].Party));
    }

    [Fact]
    public void Fast_jets_among_slow_drones_and_hours_old_reports_are_all_tested()
    {
        // Drones at 0 to 30 m/s size the cells (about 10 km), so the box of a jet (one track in 200,
        // 30 to 70 km) or of a drone whose report is one to two hours old is too large for them and
        // goes to the every-box test.
        var rnd = new Random(7);
        var centre = new GeoPoint(-33.9, 151.2);
        var tracks = new List<TrackState>();
        for (var i = 0; i < 1200; i++)
        {
            var at = Geodesic.Direct(centre, rnd.NextDouble() * 360, rnd.NextDouble() * 25_000);
            var speed = i % 200 == 0 ? 250 + (rnd.NextDouble() * 350) : rnd.NextDouble() * 30;
            var heading = rnd.NextDouble() * 2 * Math.PI;
            var age = i % 250 == 1 ? 3600 + (rnd.NextDouble() * 3600) : rnd.NextDouble() * 10;
            var velocity = new Enu(speed * Math.Sin(heading), speed * Math.Cos(heading), (rnd.NextDouble() - 0.5) * 10);
            tracks.Add(new TrackState(i % 2 == 0 ? "blue" : "red", $"T{i}", Now.AddSeconds(-age), at.Lat, at.Lng, 100 + (rnd.NextDouble() * 500), velocity));
        }

        // Two jets reported an hour ago at the same point with the same velocity: extrapolated 900 km,
        // beyond what a box is worked out for, so only the exact test against every track sees them.
        var from = Geodesic.Direct(centre, 270, 900_000);
        tracks[3] = new TrackState("blue", "stale-1", Now.AddHours(-1), from.Lat, from.Lng, 300, new Enu(250, 0, 0));
        tracks[4] = new TrackState("red", "stale-2", Now.AddHours(-1), from.Lat, from.Lng, 300, new Enu(250, 0, 0));

        var grid = TacticalDetector.Detect(tracks, Now, D, H, T);
        var all = TacticalDetector.DetectAllPairs(tracks, Now, D, H, T);

        Assert.True(all.Count > 200, $"the traffic should be dense enough to matter: {all.Count} conflicts");
        Assert.Contains(grid, c => c.A == 3 && c.B == 4);
        Assert.Contains(grid, c => c.A % 200 == 0 || c.B % 200 == 0);
        Assert.Equal(all, grid);
    }

    [Fact]
    public void A_large_cycle_on_all_cores_gives_the_reference_conflicts()
    {
        // 20,000 tracks (above the threshold for working on all cores) in 10 clusters 2,000 km or
        // more apart, so the reference can run cluster by cluster: no pair across clusters can come
        // within 3 NM in 2 minutes, and none is near-antipodal.
        var rnd = new Random(8);
        var centres = new GeoPoint[] { new(0, 179.9), new(20, -160), new(40, 170), new(60, -175), new(80, 160), new(88, 0), new(-20, 175), new(-40, -170), new(-60, 178), new(-82, -150) };
        var clusters = centres.Select(c => MixedTraffic(rnd, c, 2000, 100_000)).ToList();
        var tracks = clusters.SelectMany(c => c).ToList();

        var expected = new List<TrackConflict>();
        for (var k = 0; k < clusters.Count; k++)
        {
            var offset = k * 2000;
            expected.AddRange(TacticalDetector.DetectAllPairs(clusters[k], Now, D, H, 180)
                .Select(c => c with { A = c.A + offset, B = c.B + offset }));
        }

        var grid = TacticalDetector.Detect(tracks, Now, D, H, 180);

        Assert.True(expected.Count > 1000, $"the traffic should be dense enough to matter: {expected.Count} conflicts");
        Assert.Equal(expected, grid);
    }

    [Fact]
    public void A_head_on_pair_across_the_antimeridian_is_found_with_the_right_times()
    {
        // 20 km apart along the equator across 180 degrees, closing at 200 m/s.
        var west = Geodesic.Direct(new GeoPoint(0, 180), 270, 10_000);
        var east = Geodesic.Direct(new GeoPoint(0, 180), 90, 10_000);
        var tracks = new List<TrackState>
        {
            new("blue", "B1", Now, west.Lat, west.Lng, 9000, new Enu(100, 0, 0)),
            new("red", "R1", Now, east.Lat, east.Lng, 9000, new Enu(-100, 0, 0)),
        };
        var c = Assert.Single(TacticalDetector.Detect(tracks, Now, D, H, T));
        // Straight-line distance in the tangent plane is within centimetres of the 20 km arc here.
        Assert.Equal(72.22, c.Encounter.TimeIn, 2);
        Assert.Equal(100.0, c.Encounter.CpaTime, 2);
        Assert.Empty(TacticalDetector.Detect([tracks[0], tracks[1] with { Party = "blue" }], Now, D, H, T));
    }

    [Fact]
    public void Aircraft_on_opposite_sides_of_the_earth_are_not_a_conflict()
    {
        // The ownship's tangent plane folds the far side of the earth onto the near one: antipodes
        // on the equator land on the ownship. The narrow phase refuses pairs that cannot close
        // their gap within the look-ahead, so neither the grid nor the reference reports them.
        var tracks = new List<TrackState>
        {
            new("blue", "B1", Now, 0, 10, 9000, new Enu(0, 0, 0)),
            new("red", "R1", Now, 0, -170, 9000, new Enu(0, 0, 0)),
        };
        Assert.Empty(TacticalDetector.Detect(tracks, Now, D, H, T));
        Assert.Empty(TacticalDetector.DetectAllPairs(tracks, Now, D, H, T));
        var near = new List<TrackState> { tracks[0], tracks[1] with { Lng = 10.04 } };   // 4.45 km apart, hovering: loss now
        Assert.True(Assert.Single(TacticalDetector.DetectAllPairs(near, Now, D, H, T)).Encounter.LossNow);
    }

    [Fact]
    public void Too_few_tracks_or_bad_minima()
    {
        var one = new List<TrackState> { new("blue", "B1", Now, 0, 0, 0, new Enu(0, 0, 0)) };
        Assert.Empty(TacticalDetector.Detect([], Now, D, H, T));
        Assert.Empty(TacticalDetector.Detect(one, Now, D, H, T));
        Assert.Throws<ArgumentOutOfRangeException>(() => TacticalDetector.Detect(one, Now, 0, H, T));
        Assert.Throws<ArgumentOutOfRangeException>(() => TacticalDetector.Detect(one, Now, D, H, double.NaN));
    }

    /// <summary>
    /// Tracks within <paramref name="radiusM"/> of a centre, of three parties: one in ten hovering,
    /// the rest at 0 to 300 m/s in any direction; half climbing or descending at up to 15 m/s;
    /// altitudes 9,000 to 10,500 m; reports up to 30 s old, one in twenty up to 10 minutes old and one
    /// in fifty 5 s in the future (a clock ahead of ours).
    /// </summary>
    private static List<TrackState> MixedTraffic(Random rnd, GeoPoint centre, int count, double radiusM)
    {
        var tracks = new List<TrackState>();
        for (var i = 0; i < count; i++)
        {
            var at = Geodesic.Direct(centre, rnd.NextDouble() * 360, Math.Sqrt(rnd.NextDouble()) * radiusM);
            var speed = rnd.Next(10) == 0 ? 0.0 : rnd.NextDouble() * 300;
            var heading = rnd.NextDouble() * 2 * Math.PI;
            var climb = rnd.Next(2) == 0 ? 0.0 : (rnd.NextDouble() - 0.5) * 30;
            var age = rnd.Next(50) == 0 ? -5.0 : rnd.Next(20) == 0 ? rnd.NextDouble() * 600 : rnd.NextDouble() * 30;
            tracks.Add(new TrackState(
                rnd.Next(3) switch { 0 => "blue", 1 => "red", _ => "green" },
                $"T{i}",
                Now.AddSeconds(-age),
                at.Lat,
                at.Lng,
                9000 + (rnd.NextDouble() * 1500),
                new Enu(speed * Math.Sin(heading), speed * Math.Cos(heading), climb)));
        }

        return tracks;
    }
}
