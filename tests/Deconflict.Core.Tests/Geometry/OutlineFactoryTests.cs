using Deconflict.Core.Geometry;

namespace Deconflict.Core.Tests.Geometry;

public class OutlineFactoryTests
{
    private static readonly GeometryLimits Limits = new();

    public static TheoryData<string, double[], string> PolygonErrors => new()
    {
        { "none", [], "at least 3 distinct vertices" },
        { "two", [35, 35, 35.1, 35.1], "at least 3 distinct vertices" },
        { "consecutive duplicates count once", [35, 35, 35.1, 35.1, 35.1, 35.1, 35.1, 35.1], "at least 3 distinct vertices (consecutive duplicates count once); 2 were given" },
        { "closing vertex", [35, 35, 35.1, 35.1, 35, 35.2, 35, 35], "last vertex must not repeat the first" },
        { "closing vertex via 180/-180", [10, 180, 10.1, 179.9, 10.1, 179.8, 10, -180], "last vertex must not repeat the first" },
        { "NaN", [35, 35, double.NaN, 35.1, 35, 35.2], "Vertex 1 has a coordinate that is not a finite number" },
        { "infinite", [35, 35, 35.1, double.PositiveInfinity, 35, 35.2], "Vertex 1 has a coordinate that is not a finite number" },
        { "latitude", [35, 35, 90.5, 35.1, 35, 35.2], "Vertex 1 has latitude 90.5, outside [-90, 90]" },
        { "longitude", [35, 35, 35.1, 35.1, 35, 180.5], "Vertex 2 has longitude 180.5, outside [-180, 180]" },
        { "bow tie", [35, 35, 35.1, 35.1, 35, 35.1, 35.1, 35], "self-intersecting" },
        { "ring touching itself at a vertex", [35, 35, 35.1, 35.1, 35.2, 35, 35.2, 35.2, 35.1, 35.1, 35, 35.2], "self-intersecting" },
        { "vertex at a pole", [90, 0, 89, 10, 89, 20], "at a pole" },
        { "edge over a pole", [89, 0, 89.5, 90, 89, 180], "passes through a pole" },
        { "ring around the north pole", [88, 0, 88, 90, 88, 180, 88, -90], "encloses a pole" },
        { "ring around the south pole", [-88, 0, -88, -120, -88, 120], "encloses a pole" },
        { "extent over 1,000 km", [0, 0, 0, 8, 8, 8, 8, 0], "km across; the limit is 1000 km" },
    };

    [Theory]
    [MemberData(nameof(PolygonErrors))]
    public void Polygon_errors_are_named(string name, double[] latLng, string expected)
    {
        var result = OutlineFactory.Polygon(Points(latLng), Limits);
        Assert.Null(result.Outline);
        Assert.NotNull(result.Error);
        Assert.True(result.Error!.Contains(expected, StringComparison.Ordinal), $"{name}: '{result.Error}' lacks '{expected}'");
    }

    [Fact]
    public void Polygon_area_over_the_limit_is_refused()
    {
        // About 55 x 55 km = 3,000 km^2 against a 1,000 km^2 limit.
        var result = OutlineFactory.Polygon(Points([35, 35, 35.5, 35, 35.5, 35.6, 35, 35.6]), new GeometryLimits(MaxAreaM2: 1e9));
        Assert.Contains("km^2; the limit is 1000 km^2", result.Error, StringComparison.Ordinal);
    }

    public static TheoryData<string, double, double, double, string> CircleErrors => new()
    {
        { "zero radius", 35, 35, 0, "radius must be a positive finite number" },
        { "negative radius", 35, 35, -5, "radius must be a positive finite number" },
        { "NaN radius", 35, 35, double.NaN, "radius must be a positive finite number" },
        { "infinite radius", 35, 35, double.PositiveInfinity, "radius must be a positive finite number" },
        { "NaN centre", double.NaN, 35, 100, "centre has a coordinate that is not a finite number" },
        { "latitude", -91, 35, 100, "centre has latitude -91, outside [-90, 90]" },
        { "longitude", 0, -181, 100, "centre has longitude -181, outside [-180, 180]" },
        { "contains the north pole", 89.5, 35, 60_000, "contains or touches a pole" },
        { "contains the south pole", -89.9, 35, 20_000, "contains or touches a pole" },
        { "centred on a pole", 90, 0, 1_000, "contains or touches a pole" },
        { "diameter over 1,000 km", 0, 0, 500_001, "km across; the limit is 1000 km" },
    };

    [Theory]
    [MemberData(nameof(CircleErrors))]
    public void Circle_errors_are_named(string name, double lat, double lng, double radius, string expected)
    {
        var result = OutlineFactory.Circle(new GeoPoint(lat, lng), radius, Limits);
        Assert.Null(result.Outline);
        Assert.True(result.Error!.Contains(expected, StringComparison.Ordinal), $"{name}: '{result.Error}' lacks '{expected}'");
    }

    [Fact]
    public void Circle_area_over_the_limit_is_refused()
    {
        var result = OutlineFactory.Circle(new GeoPoint(0, 0), 20_000, new GeometryLimits(MaxAreaM2: 1e9));
        Assert.Contains("km^2; the limit is 1000 km^2", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Vertex_order_does_not_matter()
    {
        double[] ring = [35, 35, 35.2, 35, 35.2, 35.3, 35.1, 35.1, 35, 35.3];
        var cw = (PolygonOutline)OutlineFactory.Polygon(Points(ring), Limits).Outline!;
        var ccw = (PolygonOutline)OutlineFactory.Polygon(Points(ring).AsEnumerable().Reverse().ToList(), Limits).Outline!;
        Assert.Equal(cw.AreaM2, ccw.AreaM2, 1e-3);
        Assert.Equal(cw.Bounds, ccw.Bounds);
        Assert.True(cw.AreaM2 < 1e9);
    }

    [Fact]
    public void Vertices_are_kept_as_given_and_equality_is_by_value()
    {
        var a = (PolygonOutline)OutlineFactory.Polygon(Points([10, 179.9, 10.1, 180, 10.1, 179.8]), Limits).Outline!;
        var b = (PolygonOutline)OutlineFactory.Polygon(Points([10, 179.9, 10.1, 180, 10.1, 179.8]), Limits).Outline!;
        Assert.Equal(180.0, a.Vertices[1].Lng);
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        var dup = (PolygonOutline)OutlineFactory.Polygon(Points([35, 35, 35, 35, 35.2, 35, 35.2, 35.3]), Limits).Outline!;
        Assert.Equal(4, dup.Vertices.Length);
        var c1 = OutlineFactory.Circle(new GeoPoint(1, 2), 300, Limits).Outline;
        var c2 = OutlineFactory.Circle(new GeoPoint(1, 2), 300, Limits).Outline;
        Assert.Equal(c1, c2);
        Assert.NotEqual<Outline?>(c1, OutlineFactory.Circle(new GeoPoint(1, 2), 301, Limits).Outline);
    }

    /// <summary>
    /// The area of a 1 x 1 degree quadrangle bounded by meridians and (densely sampled) parallels is
    /// the integral of M(phi) N(phi) cos(phi) over it, evaluated here by Simpson's rule; the
    /// geodesics between parallel samples 0.01 degree apart bulge by about 2 cm, which changes the
    /// area by under 1e-7. Tolerance 1e-4 relative (the promise is 1e-3).
    /// </summary>
    [Theory]
    [InlineData(0.0, 10.0)]
    [InlineData(45.0, -179.5)]
    [InlineData(-70.0, 100.0)]
    [InlineData(83.0, 0.0)]
    public void Quadrangle_area_matches_the_ellipsoidal_integral(double south, double west)
    {
        var points = new List<GeoPoint>();
        for (var i = 0; i <= 100; i++)
        {
            points.Add(new GeoPoint(south, Lng(west + (i * 0.01))));
        }

        for (var i = 100; i >= 0; i--)
        {
            points.Add(new GeoPoint(south + 1.0, Lng(west + (i * 0.01))));
        }

        var outline = OutlineFactory.Polygon(points, Limits).Outline!;
        var expected = QuadrangleArea(south, south + 1.0, 1.0);
        Assert.Equal(1.0, outline.AreaM2 / expected, 1e-4);
    }

    /// <summary>A small geodesic circle has area pi r^2 (1 - K r^2 / 12): for r = 50 km the correction is 5e-6; tolerance 1e-4.</summary>
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(60.0, 179.9)]
    [InlineData(-85.0, 10.0)]
    public void Circle_area_is_pi_r_squared_for_small_circles(double lat, double lng)
    {
        var outline = OutlineFactory.Circle(new GeoPoint(lat, lng), 50_000, Limits).Outline!;
        Assert.Equal(1.0, outline.AreaM2 / (Math.PI * 50_000.0 * 50_000.0), 1e-4);
    }

    /// <summary>
    /// Bounds are conservative: points sampled densely along every geodesic edge (and across a
    /// circle) lie inside the box, including the poleward bulge of long edges at high latitude
    /// and across the antimeridian. The box is also tight: within 1 km of the sampled extremes.
    /// </summary>
    [Theory]
    [InlineData(true, new[] { 80.0, 170.0, 80.0, -170.0, 78.0, -175.0 })]
    [InlineData(false, new[] { -80.0, -10.0, -80.0, 10.0, -79.0, 0.0 })]
    [InlineData(true, new[] { 10.0, 179.5, 10.5, -179.5, 11.0, 179.8 })]
    [InlineData(false, new[] { 35.0, 35.0, 36.0, 35.0, 36.0, 37.0, 35.0, 37.0 })]
    public void Polygon_bounds_contain_the_geodesic_edges(bool crossesAntimeridian, double[] latLng)
    {
        var vertices = Points(latLng);
        var outline = OutlineFactory.Polygon(vertices, Limits).Outline!;
        var box = outline.Bounds;
        var maxLat = double.MinValue;
        var minLat = double.MaxValue;
        for (var i = 0; i < vertices.Count; i++)
        {
            var p = vertices[i];
            var q = vertices[(i + 1) % vertices.Count];
            var line = Geodesic.Inverse(p, q);
            for (var k = 0; k <= 400; k++)
            {
                var s = Geodesic.Direct(p, line.InitialAzimuthDeg, line.DistanceM * k / 400);
                Assert.True(GeoBoxTests.Contains(box, s), $"{s} outside {box}");
                maxLat = Math.Max(maxLat, s.Lat);
                minLat = Math.Min(minLat, s.Lat);
            }
        }

        Assert.InRange(box.North - maxLat, 0, 0.01);
        Assert.InRange(minLat - box.South, 0, 0.01);
        Assert.Equal(crossesAntimeridian, box.CrossesAntimeridian);
    }

    [Theory]
    [InlineData(0.0, 0.0, 100_000.0)]
    [InlineData(84.0, 179.0, 250_000.0)]
    [InlineData(-60.0, -179.99, 200_000.0)]
    public void Circle_bounds_contain_the_circle(double lat, double lng, double radius)
    {
        var c = new GeoPoint(lat, lng);
        var box = OutlineFactory.Circle(c, radius, Limits).Outline!.Bounds;
        var widest = 0.0;
        for (var az = 0.0; az < 360.0; az += 0.5)
        {
            var p = Geodesic.Direct(c, az, radius);
            Assert.True(GeoBoxTests.Contains(box, p), $"{p} outside {box}");
            widest = Math.Max(widest, Math.Abs(((p.Lng - lng) % 360.0 + 540.0) % 360.0 - 180.0));
        }

        Assert.InRange(box.WidthDeg / 2.0 - widest, 0, 0.01);
    }

    internal static List<GeoPoint> Points(double[] latLng)
    {
        var list = new List<GeoPoint>();
        for (var i = 0; i + 1 < latLng.Length; i += 2)
        {
            list.Add(new GeoPoint(latLng[i], latLng[i + 1]));
        }

        return list;
    }

    private static double Lng(double lng) => lng >= 180 ? lng - 360 : lng;

    private static double QuadrangleArea(double lat1, double lat2, double dLngDeg)
    {
        const double a = 6378137.0;
        const double f = 1.0 / 298.257223563;
        var e2 = f * (2 - f);
        const int n = 2_000;
        var h = (lat2 - lat1) * Math.PI / 180.0 / n;
        double G(double phi)
        {
            var s = Math.Sin(phi);
            var w = 1 - (e2 * s * s);
            return a * (1 - e2) / Math.Pow(w, 1.5) * (a / Math.Sqrt(w)) * Math.Cos(phi);
        }

        var p0 = lat1 * Math.PI / 180.0;
        var sum = G(p0) + G(p0 + (n * h));
        for (var i = 1; i < n; i++)
        {
            sum += G(p0 + (i * h)) * (i % 2 == 0 ? 2 : 4);
        }

        return sum * h / 3.0 * dLngDeg * Math.PI / 180.0;
    }
}
