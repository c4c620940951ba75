using Deconflict.Core.Geometry;

namespace Deconflict.Core.Tests.Geometry;

public class GeoBoxTests
{
    [Theory]
    [InlineData(10, 20, 11, 21, false, 1)]
    [InlineData(10, 179.5, 11, -179.5, true, 2)]
    [InlineData(10, -180, 11, 180, false, 1)]
    public void Antimeridian_and_ranges(double s, double w, double n, double e, bool crosses, int ranges)
    {
        var box = new GeoBox(s, w, n, e);
        Assert.Equal(crosses, box.CrossesAntimeridian);
        Assert.Equal(ranges, box.LongitudeRanges().Count);
        if (crosses)
        {
            Assert.Equal((w, 180.0), box.LongitudeRanges()[0]);
            Assert.Equal((-180.0, e), box.LongitudeRanges()[1]);
        }
    }

    [Theory]
    [InlineData(0, 0, 1, 1, 0.5, 0.5, 2, 2, true)]
    [InlineData(0, 0, 1, 1, 1, 1, 2, 2, true)] // corners touch: closed boxes intersect
    [InlineData(0, 0, 1, 1, 1.1, 0, 2, 1, false)]
    [InlineData(0, 179, 1, -179, 0, -179.5, 1, -170, true)] // crossing box vs box east of the antimeridian
    [InlineData(0, 179, 1, -179, 0, 170, 1, 179.5, true)]
    [InlineData(0, 179, 1, -179, 0, -178, 1, 178, false)] // the gap between 178 and 179 / -179 and -178
    [InlineData(0, 179, 1, -179, 0, 178, 1, -178, true)] // both cross
    [InlineData(0, -180, 1, 180, 0, 5, 1, 6, true)]
    public void Intersects(double s1, double w1, double n1, double e1, double s2, double w2, double n2, double e2, bool expected)
    {
        var a = new GeoBox(s1, w1, n1, e1);
        var b = new GeoBox(s2, w2, n2, e2);
        Assert.Equal(expected, a.Intersects(b));
        Assert.Equal(expected, b.Intersects(a));
    }

    [Fact]
    public void Expand_crosses_the_antimeridian()
    {
        var box = new GeoBox(10, 179.9, 11, 179.95).Expand(20_000);
        Assert.True(box.CrossesAntimeridian);
        Assert.InRange(box.East, -179.9, -179.7);
        Assert.InRange(box.West, 179.6, 179.8);
    }

    [Fact]
    public void Expand_reaching_a_pole_clamps_and_covers_every_longitude()
    {
        var box = new GeoBox(89.5, 10, 89.8, 11).Expand(50_000);
        Assert.Equal(90.0, box.North);
        Assert.Equal(-180.0, box.West);
        Assert.Equal(180.0, box.East);
        Assert.InRange(box.South, 89.0, 89.1);
    }

    [Fact]
    public void Expand_by_zero_or_negative_is_identity()
    {
        var box = new GeoBox(1, 2, 3, 4);
        Assert.Equal(box, box.Expand(0));
        Assert.Equal(box, box.Expand(-5));
    }

    /// <summary>
    /// Conservative: every point reached by a geodesic of the expansion distance from a point of
    /// the box (its corners and edge midpoints, in every direction) is inside the grown box.
    /// </summary>
    [Theory]
    [InlineData(35, 35, 36, 36, 10_000)]
    [InlineData(80, 170, 84, -175, 100_000)]
    [InlineData(-70, -179, -60, 179, 250_000)]
    [InlineData(0, -1, 0.1, 1, 1_000_000)]
    public void Expand_contains_every_point_within_the_distance(double s, double w, double n, double e, double metres)
    {
        var box = new GeoBox(s, w, n, e);
        var grown = box.Expand(metres);
        var mid = box.CrossesAntimeridian ? Normalize((w + e + 360) / 2) : (w + e) / 2;
        foreach (var lat in new[] { s, (s + n) / 2, n })
        {
            foreach (var lng in new[] { w, mid, e })
            {
                for (var az = 0.0; az < 360.0; az += 5.0)
                {
                    var p = Geodesic.Direct(new GeoPoint(lat, lng), az, metres);
                    Assert.True(Contains(grown, p), $"{p} escapes {grown}");
                }
            }
        }
    }

    internal static bool Contains(GeoBox box, GeoPoint p)
    {
        if (p.Lat < box.South || p.Lat > box.North)
        {
            return false;
        }

        foreach (var (west, east) in box.LongitudeRanges())
        {
            if (p.Lng >= west && p.Lng <= east)
            {
                return true;
            }
        }

        return p.Lng == 180.0 && box.LongitudeRanges().Any(r => r.West <= -180.0);
    }

    private static double Normalize(double lng) => lng >= 180 ? lng - 360 : lng;
}
