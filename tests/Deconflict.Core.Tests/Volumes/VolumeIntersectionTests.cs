using Deconflict.Core.Geometry;
using Deconflict.Core.Tests.Geometry;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Tests.Volumes;

/// <summary>
/// Truth tables for the horizontal rule (interiors overlap, or distance strictly below the
/// buffer) and for the full 4D rule. Distances "around the buffer" are built with the geodesic
/// solver: apexes facing each other, so the nearest points are known vertices and the distance
/// is one inverse problem.
/// </summary>
public class VolumeIntersectionTests
{
    private const double ThreeNm = 5_556.0;
    private static readonly GeometryLimits Limits = new();

    // A 0.1 x 0.1 degree square at 35N 35E and its neighbours.
    private static readonly Outline Square = Poly(35, 35, 35.1, 35, 35.1, 35.1, 35, 35.1);
    private static readonly Outline EastNeighbour = Poly(35.1, 35.2, 35, 35.2, 35, 35.1, 35.1, 35.1); // shares the east edge, walked the other way
    private static readonly Outline DiagonalNeighbour = Poly(35.1, 35.1, 35.1, 35.2, 35.2, 35.2, 35.2, 35.1); // shares one vertex
    private static readonly Outline Overlapping = Poly(35.05, 35.05, 35.15, 35.05, 35.15, 35.15, 35.05, 35.15);
    private static readonly Outline Inside = Poly(35.02, 35.02, 35.03, 35.02, 35.03, 35.03);
    private static readonly Outline FarAway = Poly(36, 36, 36.1, 36, 36.1, 36.1);
    private static readonly Outline ConcaveAround = Poly(34.9, 34.9, 35.2, 34.9, 35.2, 35.3, 35.15, 35.3, 35.15, 34.95, 34.95, 34.95, 34.95, 35.3, 34.9, 35.3); // a C shape around the square, not touching it

    public static TheoryData<string, Outline, Outline, double, bool> Cases => new()
    {
        { "polygons apart, buffer 0", Square, FarAway, 0, false },
        { "polygons apart, buffer 3 NM", Square, FarAway, ThreeNm, false },
        { "polygons apart, buffer 200 km", Square, FarAway, 200_000, true },
        { "polygons overlapping", Square, Overlapping, 0, true },
        { "polygon inside polygon", Square, Inside, 0, true },
        { "polygon inside polygon, reversed", Inside, Square, 0, true },
        { "polygons sharing an edge, buffer 0", Square, EastNeighbour, 0, false },
        { "polygons sharing an edge, buffer 1 m", Square, EastNeighbour, 1, true },
        { "polygons sharing a vertex, buffer 0", Square, DiagonalNeighbour, 0, false },
        { "polygons sharing a vertex, buffer 1 m", Square, DiagonalNeighbour, 1, true },
        { "concave polygon around a square, buffer 0", Square, ConcaveAround, 0, false },
        { "concave polygon around a square, buffer 6 km", Square, ConcaveAround, 6_000, true },
        { "circles apart", Circle(35, 35, 1_000), Circle(35, 35.1, 1_000), 0, false },
        { "circles overlapping", Circle(35, 35, 5_000), Circle(35, 35.1, 5_000), 0, true },
        { "circle inside circle", Circle(35, 35, 50_000), Circle(35.01, 35.01, 1_000), 0, true },
        { "circle inside polygon", Square, Circle(35.05, 35.05, 1_000), 0, true },
        { "polygon inside circle", Circle(35.05, 35.05, 50_000), Square, 0, true },
        { "circle apart from polygon", Square, Circle(35.05, 35.3, 5_000), ThreeNm, false },
        { "circle within buffer of polygon", Square, Circle(35.05, 35.3, 5_000), 15_000, true },
        { "circle overlapping a polygon edge", Square, Circle(35.05, 35.1, 100), 0, true },
        { "circle centred on a polygon vertex", Square, Circle(35.1, 35.1, 10), 0, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OutlinesConflict_truth_table(string name, Outline a, Outline b, double buffer, bool expected)
    {
        Assert.True(expected == VolumeIntersection.OutlinesConflict(a, b, buffer), name);
        Assert.True(expected == VolumeIntersection.OutlinesConflict(b, a, buffer), name + " (swapped)");
    }

    [Fact]
    public void Touching_polygons_have_zero_distance_and_no_interior_overlap()
    {
        foreach (var other in new[] { EastNeighbour, DiagonalNeighbour })
        {
            Assert.False(VolumeIntersection.InteriorsOverlap(Square, other));
            Assert.Equal(0.0, VolumeIntersection.OutlineDistanceM(Square, other), 1e-6);
        }

        Assert.True(VolumeIntersection.InteriorsOverlap(Square, Inside));
        Assert.Equal(0.0, VolumeIntersection.OutlineDistanceM(Square, Inside));
    }

    /// <summary>
    /// Apex to apex: A's east apex P, B's west apex Q = Direct(P, 90, d). The outlines' distance is
    /// the geodesic P-Q; conflict flips as d crosses the buffer (5 cm either side), and at exactly
    /// the buffer there is no conflict for circles (bitwise the same arithmetic).
    /// </summary>
    [Theory]
    [InlineData(35.0, 35.0, ThreeNm)]
    [InlineData(-20.0, 179.9, 1_000.0)]
    [InlineData(85.0, 10.0, 300.0)]
    [InlineData(0.0, -179.95, 50.0)]
    public void Polygon_polygon_distance_around_the_buffer(double lat, double lng, double buffer)
    {
        var p = new GeoPoint(lat, lng);
        var a = ApexPointingEast(p);
        foreach (var (delta, expected) in new[] { (-0.05, true), (0.05, false) })
        {
            var q = Geodesic.Direct(p, 90.0, buffer + delta);
            var b = ApexPointingWest(q);
            var d = Geodesic.Inverse(p, q).DistanceM;
            Assert.Equal(d, VolumeIntersection.OutlineDistanceM(a, b), 1e-3);
            Assert.Equal(expected, VolumeIntersection.OutlinesConflict(a, b, buffer));
            Assert.Equal(expected, VolumeIntersection.OutlinesConflict(b, a, buffer));
            Assert.False(VolumeIntersection.OutlinesConflict(a, b, 0));
        }
    }

    [Theory]
    [InlineData(35.0, 35.0, 2_000.0, ThreeNm)]
    [InlineData(60.0, 179.99, 10_000.0, 1_000.0)]
    [InlineData(-86.0, 0.0, 500.0, 100.0)]
    public void Polygon_circle_distance_around_the_buffer(double lat, double lng, double radius, double buffer)
    {
        var p = new GeoPoint(lat, lng);
        var a = ApexPointingEast(p);
        foreach (var (delta, expected) in new[] { (-0.05, true), (0.05, false) })
        {
            var c = Geodesic.Direct(p, 90.0, radius + buffer + delta);
            var circle = OutlineFactory.Circle(c, radius, Limits).Outline!;
            var d = Geodesic.Inverse(p, c).DistanceM - radius;
            Assert.Equal(d, VolumeIntersection.OutlineDistanceM(a, circle), 1e-3);
            Assert.Equal(expected, VolumeIntersection.OutlinesConflict(a, circle, buffer));
            Assert.Equal(expected, VolumeIntersection.OutlinesConflict(circle, a, buffer));
        }

        // Touching at the apex: no conflict with buffer 0, conflict with 1 m.
        var touching = OutlineFactory.Circle(Geodesic.Direct(p, 90.0, radius), radius, Limits).Outline!;
        Assert.False(VolumeIntersection.OutlinesConflict(a, touching, 0));
        Assert.True(VolumeIntersection.OutlinesConflict(a, touching, 1));
        Assert.False(VolumeIntersection.InteriorsOverlap(a, touching));
    }

    [Theory]
    [InlineData(35.0, 35.0, 1_000.0, 2_000.0, ThreeNm)]
    [InlineData(10.0, 179.999, 5_000.0, 5_000.0, 100.0)]
    [InlineData(88.0, -45.0, 3_000.0, 1_000.0, 1.0)]
    public void Circle_circle_around_exactly_and_touching_the_buffer(double lat, double lng, double r1, double r2, double buffer)
    {
        var c1 = new GeoPoint(lat, lng);
        var a = OutlineFactory.Circle(c1, r1, Limits).Outline!;
        foreach (var (delta, expected) in new[] { (-0.01, true), (0.01, false) })
        {
            var b = OutlineFactory.Circle(Geodesic.Direct(c1, 33.0, r1 + r2 + buffer + delta), r2, Limits).Outline!;
            Assert.Equal(expected, VolumeIntersection.OutlinesConflict(a, b, buffer));
        }

        var c2 = Geodesic.Direct(c1, 33.0, r1 + r2 + buffer + 0.5);
        var exact = Geodesic.Inverse(c1, c2).DistanceM - r1 - r2;
        var at = OutlineFactory.Circle(c2, r2, Limits).Outline!;
        Assert.False(VolumeIntersection.OutlinesConflict(a, at, exact));
        Assert.True(VolumeIntersection.OutlinesConflict(a, at, exact + 1e-6));

        var touching = OutlineFactory.Circle(Geodesic.Direct(c1, 33.0, r1 + r2), r2, Limits).Outline!;
        Assert.False(VolumeIntersection.OutlinesConflict(a, touching, 0));
        Assert.True(VolumeIntersection.OutlinesConflict(a, touching, 1));
        Assert.Equal(0.0, VolumeIntersection.OutlineDistanceM(a, touching), 1e-3);
    }

    [Fact]
    public void Across_the_antimeridian()
    {
        // 179.5E .. 179.5W, 10N .. 11N.
        var span = Poly(10, 179.5, 10, -179.5, 11, -179.5, 11, 179.5);
        Assert.True(span.Bounds.CrossesAntimeridian);
        Assert.True(VolumeIntersection.OutlinesConflict(span, Circle(10.5, 180, 10_000), 0));
        Assert.True(VolumeIntersection.OutlinesConflict(span, Circle(10.5, -180, 10_000), 0));
        Assert.True(VolumeIntersection.OutlinesConflict(Circle(10.5, -179.9, 1_000), span, 0));
        // A circle north of it: about 111 km from the top edge to the centre.
        var north = Circle(12, 180, 50_000);
        var d = VolumeIntersection.OutlineDistanceM(span, north);
        Assert.InRange(d, 60_000, 62_000);
        Assert.False(VolumeIntersection.OutlinesConflict(span, north, ThreeNm));
        Assert.True(VolumeIntersection.OutlinesConflict(span, north, 70_000));
        // A polygon just east of the antimeridian overlapping the spanning one, and one sharing its east edge.
        Assert.True(VolumeIntersection.OutlinesConflict(span, Poly(10.2, -179.6, 10.2, -179, 10.4, -179), 0));
        var sharing = Poly(10, -179.5, 10, -179, 11, -179, 11, -179.5);
        Assert.False(VolumeIntersection.OutlinesConflict(span, sharing, 0));
        Assert.True(VolumeIntersection.OutlinesConflict(span, sharing, 1));
    }

    [Fact]
    public void At_high_latitude()
    {
        var a = Poly(85, 0, 85, 10, 86, 10, 86, 0);
        var neighbour = Poly(85, 10, 85, 20, 86, 20, 86, 10);
        Assert.False(VolumeIntersection.OutlinesConflict(a, neighbour, 0));
        Assert.True(VolumeIntersection.OutlinesConflict(a, neighbour, 1));
        // The geodesic top edge from 86N 0E to 86N 10E bulges poleward to about 86.015N at 5E (on a
        // sphere tan(phi_max) = tan(86) / cos(5)). A small circle at 86.007N 5E is inside the
        // polygon only because of that bulge; one 1 km north of the edge is outside.
        var edge = Geodesic.Inverse(new GeoPoint(86, 0), new GeoPoint(86, 10));
        var top = Geodesic.Direct(new GeoPoint(86, 0), edge.InitialAzimuthDeg, edge.DistanceM / 2);
        Assert.InRange(top.Lat, 86.014, 86.017);
        Assert.True(VolumeIntersection.OutlinesConflict(a, Circle(86.007, 5, 50), 0));
        Assert.False(VolumeIntersection.OutlinesConflict(a, Circle(top.Lat + 0.01, 5, 50), 0));
        Assert.True(VolumeIntersection.OutlinesConflict(a, Circle(top.Lat + 0.01, 5, 50), 1_200));
    }

    [Fact]
    public void Invalid_buffers_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => VolumeIntersection.OutlinesConflict(Square, FarAway, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => VolumeIntersection.OutlinesConflict(Square, FarAway, double.NaN));
        var v = Volume(Square, 0, 100, 0, 60);
        Assert.Throws<ArgumentOutOfRangeException>(() => VolumeIntersection.Find(v, v, new Separation(0, double.PositiveInfinity)));
    }

    // name; a: low, high, start, end (minutes); b: low, high, start, end; vertical buffer; expected overlap: start, end, low, high (NaN: no conflict)
    [Theory]
    [InlineData("same volume", 0, 100, 0, 60, 0, 100, 0, 60, 0, 0, 60, 0, 100)]
    [InlineData("windows only touch", 0, 100, 0, 60, 0, 100, 60, 120, 0, double.NaN, double.NaN, double.NaN, double.NaN)]
    [InlineData("windows overlap 10 min", 0, 100, 0, 60, 0, 100, 50, 120, 0, 50, 60, 0, 100)]
    [InlineData("bands only touch, no buffer", 0, 100, 0, 60, 100, 200, 0, 60, 0, double.NaN, double.NaN, double.NaN, double.NaN)]
    [InlineData("bands only touch, 1 m buffer", 0, 100, 0, 60, 100, 200, 0, 60, 1, 0, 60, 100, 100)]
    [InlineData("bands overlap", 0, 100, 0, 60, 50, 200, 0, 60, 0, 0, 60, 50, 100)]
    [InlineData("band inside band", 0, 1000, 0, 60, 200, 300, 10, 20, 0, 10, 20, 200, 300)]
    [InlineData("gap below vertical buffer", 0, 100, 0, 60, 400, 500, 0, 60, 304.8, 0, 60, 100, 400)]
    [InlineData("gap equal to vertical buffer", 0, 100, 0, 60, 400, 500, 0, 60, 300, double.NaN, double.NaN, double.NaN, double.NaN)]
    [InlineData("gap above vertical buffer", 0, 100, 0, 60, 405, 500, 0, 60, 304.8, double.NaN, double.NaN, double.NaN, double.NaN)]
    [InlineData("b below a within buffer", 400, 500, 0, 60, 0, 100, 0, 60, 304.8, 0, 60, 100, 400)]
    public void Find_truth_table(string name, double aLow, double aHigh, double aStart, double aEnd, double bLow, double bHigh, double bStart, double bEnd,
        double verticalBuffer, double start, double end, double low, double high)
    {
        var a = Volume(Square, aLow, aHigh, aStart, aEnd);
        var b = Volume(Overlapping, bLow, bHigh, bStart, bEnd);
        foreach (var (x, y) in new[] { (a, b), (b, a) })
        {
            var overlap = VolumeIntersection.Find(x, y, new Separation(0, verticalBuffer));
            if (double.IsNaN(start))
            {
                Assert.True(overlap is null, name);
                continue;
            }

            Assert.True(overlap is not null, name);
            Assert.Equal(T0.AddMinutes(start), overlap!.TimeStart);
            Assert.Equal(T0.AddMinutes(end), overlap.TimeEnd);
            Assert.Equal(low, overlap.AltitudeLowerM, 1e-9);
            Assert.Equal(high, overlap.AltitudeUpperM, 1e-9);
        }
    }

    [Fact]
    public void Find_applies_the_horizontal_rule()
    {
        var a = Volume(Square, 0, 100, 0, 60);
        Assert.Null(VolumeIntersection.Find(a, Volume(EastNeighbour, 0, 100, 0, 60), new Separation(0, 0)));
        Assert.NotNull(VolumeIntersection.Find(a, Volume(EastNeighbour, 0, 100, 0, 60), new Separation(1, 0)));
        Assert.Null(VolumeIntersection.Find(a, Volume(FarAway, 0, 100, 0, 60), new Separation(ThreeNm, 300)));
    }

    [Fact]
    public void Feet_and_metres_meet_exactly()
    {
        // 1,000 ft = 304.8 m exactly: a band topped at 1,000 FT only touches one based at 304.8 M.
        var lower = Parse(Square, (0, "M"), (1000, "FT"));
        var upper = Parse(Square, (304.8, "M"), (2000, "FT"));
        Assert.Null(VolumeIntersection.Find(lower, upper, new Separation(0, 0)));
        Assert.NotNull(VolumeIntersection.Find(lower, upper, new Separation(0, 0.001)));
        var overlapping = Parse(Square, (304.7, "M"), (2000, "FT"));
        var overlap = VolumeIntersection.Find(lower, overlapping, new Separation(0, 0))!;
        Assert.Equal(304.7, overlap.AltitudeLowerM, 1e-9);
        Assert.Equal(304.8, overlap.AltitudeUpperM, 1e-9);
    }

    internal static readonly DateTimeOffset T0 = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    internal static Outline Poly(params double[] latLng)
    {
        var result = OutlineFactory.Polygon(OutlineFactoryTests.Points(latLng), Limits);
        Assert.True(result.Outline is not null, result.Error);
        return result.Outline!;
    }

    internal static Outline Circle(double lat, double lng, double radius) => OutlineFactory.Circle(new GeoPoint(lat, lng), radius, Limits).Outline!;

    private static Volume4D Volume(Outline outline, double low, double high, double startMin, double endMin) =>
        new(outline, low, high, T0.AddMinutes(startMin), T0.AddMinutes(endMin));

    private static Volume4D Parse(Outline outline, (double Value, string Units) low, (double Value, string Units) high)
    {
        var square = (PolygonOutline)outline;
        var input = new F3548Volume4D
        {
            Volume = new F3548Volume3D
            {
                OutlinePolygon = new F3548Polygon { Vertices = [.. square.Vertices.Select(v => new F3548LatLng { Lat = v.Lat, Lng = v.Lng })] },
                AltitudeLower = new F3548Altitude { Value = low.Value, Units = low.Units, Reference = "W84" },
                AltitudeUpper = new F3548Altitude { Value = high.Value, Units = high.Units, Reference = "W84" },
            },
            TimeStart = new F3548Time { Value = "2026-11-26T09:00:00Z" },
            TimeEnd = new F3548Time { Value = "2026-11-26T10:00:00Z" },
        };
        var result = VolumeParser.Parse(input, Limits);
        Assert.Null(result.Error);
        return result.Volume!;
    }

    /// <summary>A triangle whose apex is <paramref name="apex"/>, its base 20 km to the west, the sides falling away at about 45 degrees.</summary>
    private static Outline ApexPointingEast(GeoPoint apex) => Triangle(apex, 270.0);

    private static Outline ApexPointingWest(GeoPoint apex) => Triangle(apex, 90.0);

    private static Outline Triangle(GeoPoint apex, double backAzimuth)
    {
        var b1 = Geodesic.Direct(apex, backAzimuth - 45.0, 20_000.0);
        var b2 = Geodesic.Direct(apex, backAzimuth + 45.0, 20_000.0);
        var result = OutlineFactory.Polygon([apex, b1, b2], Limits);
        Assert.True(result.Outline is not null, result.Error);
        return result.Outline!;
    }
}
