using Deconflict.Core.Geometry;
using Deconflict.Core.Strategic;

namespace Deconflict.Core.Tests.Strategic;

/// <summary>The in-memory broad phase must return exactly the keys whose boxes meet the query box.</summary>
public sealed class VolumeGridTests
{
    private static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.5, 1)]
    [InlineData(1.0, 2)]
    [InlineData(5.0, 3)]
    public void Finds_exactly_what_a_brute_force_box_test_finds_including_the_antimeridian_and_poles(double cellDeg, int seed)
    {
        var random = new Random(seed);
        var grid = new VolumeGrid<int>(cellDeg);
        var boxes = new Dictionary<int, VolumeBox>();
        for (var i = 0; i < 3000; i++)
        {
            boxes[i] = RandomBox(random);
            grid.Set(i, [boxes[i]]);
        }

        // Replace and remove some, as updates and cancellations do.
        for (var i = 0; i < 300; i++)
        {
            boxes[i] = RandomBox(random);
            grid.Set(i, [boxes[i]]);
        }

        for (var i = 300; i < 600; i++)
        {
            boxes.Remove(i);
            grid.Remove(i);
        }

        Assert.Equal(2700, grid.Count);
        for (var q = 0; q < 2000; q++)
        {
            var query = RandomBox(random);
            var found = new HashSet<int>();
            grid.Query(query, found);
            var expected = boxes.Where(kv => Meet(kv.Value, query)).Select(kv => kv.Key).ToHashSet();
            Assert.True(expected.IsSubsetOf(found), $"query {q}: expected {expected.Count}, found {found.Count}: a candidate was missed");

            // The grid stores bounds rounded outward (floats, whole minutes): anything more it
            // reports must be within that rounding of the query.
            foreach (var extra in found.Except(expected))
            {
                Assert.True(Meet(Grown(boxes[extra]), query), $"query {q}: key {extra} is not within rounding of the query");
            }
        }
    }

    [Fact]
    public void Boxes_that_only_touch_are_candidates_and_a_key_is_reported_once()
    {
        var grid = new VolumeGrid<string>();
        var a = new VolumeBox(new GeoBox(0, 0, 1, 1), 0, 1000, T0, T0.AddHours(1));
        grid.Set("a", [a, a with { Area = new GeoBox(0.5, 0.5, 1.5, 1.5) }]);
        var found = new List<string>();
        grid.Query(new VolumeBox(new GeoBox(1, 1, 2, 2), 1000, 2000, T0.AddHours(1), T0.AddHours(2)), found);
        Assert.Equal(["a"], found);
    }

    [Fact]
    public void Boxes_that_touch_at_values_a_float_cannot_hold_are_candidates()
    {
        // 33.123456789012 and 1234.56789 m fall between floats; the grid's rounded entries must
        // still meet a query that touches them exactly, and one a hair away is at most an extra candidate.
        var grid = new VolumeGrid<string>();
        grid.Set("a", [new VolumeBox(new GeoBox(33.0, 35.0, 33.123456789012, 35.987654321098), 100, 1234.56789, T0.AddSeconds(30), T0.AddMinutes(90).AddSeconds(17))]);
        var touching = new VolumeBox(new GeoBox(33.123456789012, 35.987654321098, 34, 36.5), 1234.56789, 2000, T0.AddMinutes(90).AddSeconds(17), T0.AddHours(3));
        var found = new List<string>();
        grid.Query(touching, found);
        Assert.Equal(["a"], found);

        var farAway = touching with { Area = new GeoBox(33.2, 36.1, 34, 36.5) };
        found.Clear();
        grid.Query(farAway, found);
        Assert.Empty(found);
    }

    [Fact]
    public void A_box_across_the_antimeridian_is_found_from_either_side()
    {
        var grid = new VolumeGrid<string>();
        grid.Set("dateline", [new VolumeBox(new GeoBox(-1, 179.9, 1, -179.9), 0, 1000, T0, T0.AddHours(1))]);
        foreach (var (west, east, hit) in new[] { (179.95, 179.99, true), (-179.99, -179.95, true), (179.0, 179.5, false), (-179.5, -179.0, false) })
        {
            var found = new List<string>();
            grid.Query(new VolumeBox(new GeoBox(0, west, 0.5, east), 0, 1000, T0, T0.AddHours(1)), found);
            Assert.Equal(hit, found.Count == 1);
        }
    }

    private static VolumeBox RandomBox(Random r)
    {
        var south = -90 + (r.NextDouble() * 175);
        var north = Math.Min(90, south + (r.NextDouble() * 2));
        if (r.NextDouble() < 0.05)
        {
            north = 90;
        }

        var west = -180 + (r.NextDouble() * 360);
        var width = r.NextDouble() < 0.05 ? 10 : r.NextDouble() * 2;
        var east = west + width > 180 ? west + width - 360 : west + width;
        var lower = r.NextDouble() * 10_000;
        var start = T0.AddMinutes(r.Next(0, 48 * 60));

        // Mostly 0 to 6 h; some zones valid for weeks (filed under "any time"), a few for years.
        var minutes = r.NextDouble() switch
        {
            < 0.05 => r.Next(10 * 24 * 60, 60 * 24 * 60),
            < 0.06 => r.Next(2 * 365 * 24 * 60, 3 * 365 * 24 * 60),
            _ => r.Next(0, 360),
        };
        return new VolumeBox(new GeoBox(south, west, north, east), lower, lower + (r.NextDouble() * 5000), start, start.AddMinutes(minutes));
    }

    /// <summary>The box grown by more than the grid's rounding: 1e-4 degrees, 0.01 m, one minute.</summary>
    private static VolumeBox Grown(VolumeBox b) => new(
        new GeoBox(Math.Max(-90, b.Area.South - 1e-4), b.Area.West - 1e-4 < -180 ? b.Area.West - 1e-4 + 360 : b.Area.West - 1e-4, Math.Min(90, b.Area.North + 1e-4), b.Area.East + 1e-4 > 180 ? b.Area.East + 1e-4 - 360 : b.Area.East + 1e-4),
        b.AltitudeLowerM - 0.01,
        b.AltitudeUpperM + 0.01,
        b.TimeStart.AddMinutes(-1),
        b.TimeEnd.AddMinutes(1));

    /// <summary>Closed intervals in every dimension; longitudes compared range by range.</summary>
    private static bool Meet(VolumeBox a, VolumeBox b) =>
        a.TimeEnd >= b.TimeStart && a.TimeStart <= b.TimeEnd &&
        a.AltitudeUpperM >= b.AltitudeLowerM && a.AltitudeLowerM <= b.AltitudeUpperM &&
        a.Area.North >= b.Area.South && a.Area.South <= b.Area.North &&
        a.Area.LongitudeRanges().Any(x => b.Area.LongitudeRanges().Any(y => x.East >= y.West && x.West <= y.East));
}
