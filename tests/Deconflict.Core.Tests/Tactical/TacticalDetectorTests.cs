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
}
