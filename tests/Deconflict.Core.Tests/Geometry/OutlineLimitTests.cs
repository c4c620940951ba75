using Deconflict.Core.Geometry;

namespace Deconflict.Core.Tests.Geometry;

/// <summary>
/// The limits that bound an outline's cost (issue 15): the vertex count, refused before any
/// geometry work, and the perimeter, which bounds the densified ring all the later work is linear in.
/// </summary>
public class OutlineLimitTests
{
    private static readonly GeometryLimits Limits = new();

    [Fact]
    public void The_default_limits_are_2000_vertices_and_10000_km_of_perimeter()
    {
        Assert.Equal(2_000, Limits.MaxVertices);
        Assert.Equal(10_000_000, Limits.MaxPerimeterM);
    }

    [Fact]
    public void A_polygon_over_the_vertex_limit_is_refused_and_one_at_it_is_accepted()
    {
        var over = OutlineFactory.Polygon(Circle(35.0, 38.0, 20_000, 2_001), Limits);
        Assert.Null(over.Outline);
        Assert.Equal("The polygon has 2001 vertices; the limit is 2000.", over.Error);

        Assert.NotNull(OutlineFactory.Polygon(Circle(35.0, 38.0, 20_000, 2_000), Limits).Outline);
        Assert.NotNull(OutlineFactory.Polygon(Circle(35.0, 38.0, 20_000, 2_001), Limits with { MaxVertices = 2_001 }).Outline);
    }

    [Fact]
    public void The_vertex_limit_comes_before_any_other_check()
    {
        // Not a polygon at all (NaN, a pole, a repeated closing vertex), but too many vertices first.
        var points = Enumerable.Repeat(new GeoPoint(double.NaN, 0), 2_001).ToList();
        Assert.Equal("The polygon has 2001 vertices; the limit is 2000.", OutlineFactory.Polygon(points, Limits).Error);
    }

    [Fact]
    public void A_star_whose_perimeter_is_over_the_limit_is_refused_though_within_the_extent_and_area()
    {
        // 100 spikes of 489 km: 200 edges, about 97,800 km of perimeter, 980 km across, a few
        // thousand km^2. Densified, its ring would have about 12,400 points.
        var star = Star(30.0, 40.0, 490_000, 1_000, 100);
        var result = OutlineFactory.Polygon(star, Limits);
        Assert.Null(result.Outline);
        Assert.StartsWith("The polygon's perimeter is 97", result.Error, StringComparison.Ordinal);
        Assert.EndsWith("km; the limit is 10000 km.", result.Error, StringComparison.Ordinal);

        // The same star is valid otherwise: with the limit raised it is accepted.
        Assert.NotNull(OutlineFactory.Polygon(star, Limits with { MaxPerimeterM = 100_000_000 }).Outline);

        // 8 spikes: about 7,800 km of perimeter, accepted.
        Assert.NotNull(OutlineFactory.Polygon(Star(30.0, 40.0, 490_000, 1_000, 8), Limits).Outline);
    }

    private static List<GeoPoint> Circle(double lat, double lng, double radiusM, int n) =>
        [.. Enumerable.Range(0, n).Select(i => Geodesic.Direct(new GeoPoint(lat, lng), 360.0 * i / n, radiusM))];

    /// <summary>Vertices alternating between the outer and inner radius, in azimuth order (star-shaped about the centre, so simple).</summary>
    private static List<GeoPoint> Star(double lat, double lng, double outerM, double innerM, int spikes) =>
        [.. Enumerable.Range(0, 2 * spikes).Select(i => Geodesic.Direct(new GeoPoint(lat, lng), 180.0 * i / spikes, i % 2 == 0 ? outerM : innerM))];
}
