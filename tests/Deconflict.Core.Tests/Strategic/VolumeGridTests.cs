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
        var grid = new VolumeGrid<int, int>(cellDeg);
        var boxes = new Dictionary<int, VolumeBox>();
        for (var i = 0; i < 3000; i++)
        {
            boxes[i] = RandomBox(random);
            grid.Set(i, [boxes[i]], i);
        }

        // Replace and remove some, as updates and cancellations do.
        for (var i = 0; i < 300; i++)
        {
            boxes[i] = RandomBox(random);
            grid.Set(i, [boxes[i]], i);
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

            // The grid stores bounds rounded outward (16-bit codes per cell): anything more it
            // reports must be within that rounding of the query.
            foreach (var extra in found.Except(expected))
            {
                Assert.True(Meet(Grown(boxes[extra], cellDeg), query), $"query {q}: key {extra} is not within rounding of the query: {boxes[extra]} vs {query}");
            }
        }
    }

    [Fact]
    public void Boxes_that_only_touch_are_candidates_and_a_key_is_reported_once()
    {
        var grid = new VolumeGrid<string, int>();
        var a = new VolumeBox(new GeoBox(0, 0, 1, 1), 0, 1000, T0, T0.AddHours(1));
        grid.Set("a", [a, a with { Area = new GeoBox(0.5, 0.5, 1.5, 1.5) }], 1);
        var found = new List<string>();
        grid.Query(new VolumeBox(new GeoBox(1, 1, 2, 2), 1000, 2000, T0.AddHours(1), T0.AddHours(2)), found);
        Assert.Equal(["a"], found);
    }

    [Fact]
    public void Boxes_that_touch_at_values_a_float_cannot_hold_are_candidates()
    {
        // 33.123456789012 and 1234.56789 m fall between floats; the grid's rounded entries must
        // still meet a query that touches them exactly, and one a hair away is at most an extra candidate.
        var grid = new VolumeGrid<string, int>();
        grid.Set("a", [new VolumeBox(new GeoBox(33.0, 35.0, 33.123456789012, 35.987654321098), 100, 1234.56789, T0.AddSeconds(30), T0.AddMinutes(90).AddSeconds(17))], 1);
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
        var grid = new VolumeGrid<string, int>();
        grid.Set("dateline", [new VolumeBox(new GeoBox(-1, 179.9, 1, -179.9), 0, 1000, T0, T0.AddHours(1))], 1);
        foreach (var (west, east, hit) in new[] { (179.95, 179.99, true), (-179.99, -179.95, true), (179.0, 179.5, false), (-179.5, -179.0, false) })
        {
            var found = new List<string>();
            grid.Query(new VolumeBox(new GeoBox(0, west, 0.5, east), 0, 1000, T0, T0.AddHours(1)), found);
            Assert.Equal(hit, found.Count == 1);
        }
    }

    [Theory]
    [InlineData(0.5, 6.0, 11)]
    [InlineData(0.25, 3.0, 12)]
    [InlineData(1.0, 1.0, 13)]
    public void Boxes_on_cell_edges_and_bin_edges_that_touch_are_all_found(double cellDeg, double binHours, int seed)
    {
        // Every coordinate on a lattice of half cells and every time on half bins, so many boxes
        // touch each other exactly at cell edges, bin edges, the poles and the antimeridian.
        var random = new Random(seed);
        var grid = new VolumeGrid<int, int>(cellDeg, binHours);
        var boxes = new Dictionary<int, VolumeBox>();
        for (var i = 0; i < 2000; i++)
        {
            boxes[i] = LatticeBox(random, cellDeg, binHours);
            grid.Set(i, [boxes[i]], i);
        }

        for (var q = 0; q < 1000; q++)
        {
            var query = LatticeBox(random, cellDeg, binHours);
            var found = new HashSet<int>();
            grid.Query(query, found);
            var expected = boxes.Where(kv => Meet(kv.Value, query)).Select(kv => kv.Key).ToHashSet();
            Assert.True(expected.IsSubsetOf(found), $"query {q}: missed {string.Join(", ", expected.Except(found))}");
            Assert.All(found.Except(expected), extra => Assert.True(Meet(Grown(boxes[extra], cellDeg), query)));
        }
    }

    [Fact]
    public void A_query_of_several_boxes_reports_each_key_once_with_its_latest_value_through_replacements_and_removals()
    {
        var random = new Random(21);
        var grid = new VolumeGrid<int, string>();
        var boxes = new Dictionary<int, VolumeBox[]>();
        var values = new Dictionary<int, string>();
        for (var round = 0; round < 6; round++)
        {
            // Crowd a small region, so cells collide in the grid's table and many are emptied and
            // deleted again: every remaining key must stay reachable.
            for (var i = 0; i < 1500; i++)
            {
                var key = random.Next(3000);
                if (random.NextDouble() < 0.4)
                {
                    grid.Remove(key);
                    boxes.Remove(key);
                    values.Remove(key);
                    continue;
                }

                var set = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => SmallBox(random)).ToArray();
                var value = $"{key}@{round}.{i}";
                grid.Set(key, set, value);
                boxes[key] = set;
                values[key] = value;
            }

            Assert.Equal(boxes.Count, grid.Count);
            for (var q = 0; q < 300; q++)
            {
                VolumeBox[] queries = [.. Enumerable.Range(0, 1 + random.Next(3)).Select(_ => SmallBox(random))];
                var found = new List<KeyValuePair<int, string>>();
                grid.Query(queries, found);
                Assert.Equal(found.Count, found.Select(kv => kv.Key).Distinct().Count());
                Assert.All(found, kv => Assert.Equal(values[kv.Key], kv.Value));
                var expected = boxes.Where(kv => kv.Value.Any(b => queries.Any(query => Meet(b, query)))).Select(kv => kv.Key).ToHashSet();
                Assert.True(expected.IsSubsetOf(found.Select(kv => kv.Key)), $"round {round}, query {q}: a candidate was missed");
            }
        }

        Assert.True(grid.TrySetValue(values.Keys.First(), "changed"));
        Assert.True(grid.TryGet(values.Keys.First(), out var kept, out var changed));
        Assert.Equal("changed", changed);
        Assert.Equal(boxes[values.Keys.First()], kept);
        Assert.False(grid.TrySetValue(-1, "absent"));
    }

    [Fact]
    public void Altitudes_and_times_beyond_the_codes_range_are_still_found()
    {
        // Codes cover -1,000 m to 64,535 m and 2000 to 2179 for long boxes: beyond, they clamp to
        // the ends, so such boxes stay candidates (the exact test decides).
        var grid = new VolumeGrid<string, int>();
        grid.Set("deep", [new VolumeBox(new GeoBox(0, 0, 1, 1), -5000, -4000, T0, T0.AddHours(1))], 1);
        grid.Set("space", [new VolumeBox(new GeoBox(0, 0, 1, 1), 90_000, 100_000, T0, T0.AddHours(1))], 2);
        grid.Set("old", [new VolumeBox(new GeoBox(0, 0, 1, 1), 0, 1000, new DateTimeOffset(1990, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(1995, 1, 1, 0, 0, 0, TimeSpan.Zero))], 3);
        grid.Set("far", [new VolumeBox(new GeoBox(0, 0, 1, 1), 0, 1000, new DateTimeOffset(2300, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2301, 1, 1, 0, 0, 0, TimeSpan.Zero))], 4);
        foreach (var (query, expected) in new[]
        {
            (new VolumeBox(new GeoBox(0.5, 0.5, 0.6, 0.6), -4000, -4000, T0, T0), "deep"),
            (new VolumeBox(new GeoBox(0.5, 0.5, 0.6, 0.6), 95_000, 96_000, T0, T0.AddMinutes(1)), "space"),
            (new VolumeBox(new GeoBox(0.5, 0.5, 0.6, 0.6), 0, 10, new DateTimeOffset(1994, 6, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(1994, 6, 1, 1, 0, 0, TimeSpan.Zero)), "old"),
            (new VolumeBox(new GeoBox(0.5, 0.5, 0.6, 0.6), 0, 10, new DateTimeOffset(2300, 6, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2300, 6, 1, 1, 0, 0, TimeSpan.Zero)), "far"),
        })
        {
            var found = new List<string>();
            grid.Query(query, found);
            Assert.Contains(expected, found);
        }
    }

    private static VolumeBox LatticeBox(Random r, double cellDeg, double binHours)
    {
        var half = cellDeg / 2;
        var south = Math.Min(90, -90 + (r.Next((int)(180 / half) + 1) * half));
        var north = Math.Min(90, south + (r.Next(4) * half));
        var west = -180 + (r.Next((int)(360 / half)) * half);
        var east = west + (r.Next(4) * half);
        east = east > 180 ? east - 360 : east;
        var lower = r.Next(5) * 500.0;
        var start = T0.AddHours(r.Next(40) * binHours / 2);
        var end = r.NextDouble() < 0.05 ? start.AddDays(r.Next(5, 30)) : start.AddHours(r.Next(4) * binHours / 2);
        return new VolumeBox(new GeoBox(south, west, north, east), lower, lower + (r.Next(3) * 500.0), start, end);
    }

    private static VolumeBox SmallBox(Random r)
    {
        var south = 30 + (r.NextDouble() * 4);
        var west = 35 + (r.NextDouble() * 4);
        var lower = r.NextDouble() * 10_000;
        var start = T0.AddMinutes(r.Next(0, 24 * 60));
        return new VolumeBox(new GeoBox(south, west, south + (r.NextDouble() * 0.6), west + (r.NextDouble() * 0.6)), lower, lower + (r.NextDouble() * 3000), start, start.AddMinutes(r.Next(0, 400)));
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

    /// <summary>
    /// The box grown by more than the grid's rounding: 3/65535 of a cell in latitude and longitude,
    /// 3 m of altitude, 1 s of time (3 days for boxes long enough to be filed under "any time").
    /// </summary>
    private static VolumeBox Grown(VolumeBox b, double cellDeg = 0.5)
    {
        var deg = 3 * cellDeg / 65535;
        var time = b.TimeEnd - b.TimeStart > TimeSpan.FromDays(5) ? TimeSpan.FromDays(3) : TimeSpan.FromSeconds(1);
        return new(
            new GeoBox(Math.Max(-90, b.Area.South - deg), b.Area.West - deg < -180 ? b.Area.West - deg + 360 : b.Area.West - deg, Math.Min(90, b.Area.North + deg), b.Area.East + deg > 180 ? b.Area.East + deg - 360 : b.Area.East + deg),
            b.AltitudeLowerM - 3,
            b.AltitudeUpperM + 3,
            b.TimeStart - time,
            b.TimeEnd + time);
    }

    /// <summary>Closed intervals in every dimension; longitudes compared range by range.</summary>
    private static bool Meet(VolumeBox a, VolumeBox b) =>
        a.TimeEnd >= b.TimeStart && a.TimeStart <= b.TimeEnd &&
        a.AltitudeUpperM >= b.AltitudeLowerM && a.AltitudeLowerM <= b.AltitudeUpperM &&
        a.Area.North >= b.Area.South && a.Area.South <= b.Area.North &&
        a.Area.LongitudeRanges().Any(x => b.Area.LongitudeRanges().Any(y => x.East >= y.West && x.West <= y.East));
}
