using System.Globalization;
using NetTopologySuite.Geometries;

namespace Deconflict.Core.Geometry;


/// <summary>The outcome of creating an outline: either the outline, or a sentence naming the problem.</summary>
public sealed record OutlineResult(Outline? Outline, string? Error)
{
    /// <summary>True when the outline was created.</summary>
    public bool IsValid => Outline is not null;

    internal static OutlineResult Fail(string error) => new(null, error);
}

/// <summary>
/// Validates and creates outlines, computing their prepared data once (cost: O(n) geodesic
/// problems for n densified ring points, plus an O(n log n) simplicity check; about 0.1-1 ms for
/// typical polygons, 0.1 ms for a circle).
/// </summary>
public static class OutlineFactory
{
    /// <summary>
    /// Largest length (metres) of a densified piece of a geodesic edge. In an azimuthal-equidistant
    /// projection a geodesic passing rho metres from the centre images as a curve of curvature
    /// about 2 rho / (3 R^2) (expand tan(p/R) = tan(rho/R) cos(theta - theta0), the equation of a
    /// great circle in that projection, about its closest point), so a chord of length L is off
    /// the curve by at most rho L^2 / (12 R^2): 0.13 m for L = 8 km at rho = 1,000 km (R = 6,371 km).
    /// The test suite measures the chord error on the ellipsoid and asserts it stays below 0.2 m.
    /// </summary>
    internal const double MaxSegmentM = 8_000.0;

    /// <summary>Boundary samples of a circle for its area (the inscribed polygon is corrected to the curve, residual below 1e-6).</summary>
    private const int CircleAreaSamples = 180;

    /// <summary>
    /// Creates a polygon outline from its vertices (degrees, an open ring in either order).
    /// Errors: fewer than 3 distinct vertices (consecutive duplicates count once), a last vertex
    /// repeating the first, non-finite or out-of-range coordinates, a vertex at or an edge through
    /// a pole, a ring enclosing a pole, edges that cross or touch each other, vertex count,
    /// perimeter, extent or area over the limits (the vertex count first, before any geometry work;
    /// the perimeter before densifying).
    /// </summary>
    public static OutlineResult Polygon(IReadOnlyList<GeoPoint> vertices, GeometryLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (vertices is null || vertices.Count == 0)
        {
            return OutlineResult.Fail("A polygon needs at least 3 distinct vertices; none were given.");
        }

        // Before any geometry work: a refused polygon costs nothing but its count.
        if (vertices.Count > limits.MaxVertices)
        {
            return OutlineResult.Fail(VertexLimitError(vertices.Count, limits));
        }

        for (var i = 0; i < vertices.Count; i++)
        {
            var error = CheckPoint(vertices[i], string.Create(CultureInfo.InvariantCulture, $"Vertex {i}"));
            if (error is not null)
            {
                return OutlineResult.Fail(error);
            }
        }

        if (vertices.Count >= 2 && SamePosition(vertices[0], vertices[^1]))
        {
            return OutlineResult.Fail("The last vertex must not repeat the first: a polygon is given as an open ring.");
        }

        var distinct = new List<GeoPoint>(vertices.Count);
        foreach (var v in vertices)
        {
            var p = new GeoPoint(v.Lat, Wgs84.NormalizeLng(v.Lng));
            if (distinct.Count == 0 || !SamePosition(distinct[^1], p))
            {
                distinct.Add(p);
            }
        }

        if (distinct.Count < 3)
        {
            return OutlineResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"A polygon needs at least 3 distinct vertices (consecutive duplicates count once); {distinct.Count} were given."));
        }

        for (var i = 0; i < distinct.Count; i++)
        {
            if (Math.Abs(distinct[i].Lat) == 90.0)
            {
                return OutlineResult.Fail("A vertex is at a pole; outlines must not contain or touch a pole.");
            }
        }

        // One inverse problem per edge: azimuths for the latitude extremes, longitude differences
        // for the winding (a shortest geodesic never changes longitude by more than 180 degrees,
        // and its longitude is monotonic, so the normalised difference is the edge's sweep).
        var n = distinct.Count;
        var edges = new GeodesicLine[n];
        var winding = 0.0;
        var unwrapped = 0.0;
        var minLng = 0.0;
        var maxLng = 0.0;
        for (var i = 0; i < n; i++)
        {
            var p = distinct[i];
            var q = distinct[(i + 1) % n];
            edges[i] = Geodesic.Inverse(p, q);
            var dLng = Wgs84.NormalizeLng(q.Lng - p.Lng);
            // Vertices on opposite meridians: the shortest path is the meridian over a pole.
            if (Math.Abs(dLng) >= 180.0)
            {
                return OutlineResult.Fail("An edge passes through a pole; outlines must not contain or touch a pole.");
            }

            winding += dLng;
            unwrapped += dLng;
            minLng = Math.Min(minLng, unwrapped);
            maxLng = Math.Max(maxLng, unwrapped);
        }

        if (Math.Abs(winding) > 180.0)
        {
            return OutlineResult.Fail("The polygon encloses a pole; outlines must not contain or touch a pole.");
        }

        // Before densifying: the perimeter bounds the ring that all the later work is linear in.
        var perimeter = 0.0;
        foreach (var edge in edges)
        {
            perimeter += edge.DistanceM;
        }

        if (perimeter > limits.MaxPerimeterM)
        {
            return OutlineResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"The polygon's perimeter is {perimeter / 1000.0:0.###} km; the limit is {limits.MaxPerimeterM / 1000.0:0.###} km."));
        }

        var vertexExtent = Extent(distinct);
        if (vertexExtent > limits.MaxExtentM)
        {
            return ExtentError("polygon", vertexExtent, limits);
        }

        // The ring's extent differs from the vertices' only if an edge was densified (it is then
        // the same up to rounding: the distance from a point is convex along a geodesic this short,
        // so the farthest points are vertices); undensified, the ring is the vertices themselves.
        var ring = Densify(distinct);
        var extent = ring.Length == distinct.Count ? vertexExtent : Extent(ring);
        if (extent > limits.MaxExtentM)
        {
            return ExtentError("polygon", extent, limits);
        }

        var cap = BoundingCap(ring);
        var frame = new LocalProjection(cap.Center);
        var x = new double[ring.Length];
        var y = new double[ring.Length];
        var coords = new Coordinate[ring.Length + 1];
        for (var i = 0; i < ring.Length; i++)
        {
            (x[i], y[i]) = frame.Forward(ring[i]);
            coords[i] = new Coordinate(x[i], y[i]);
        }

        coords[^1] = coords[0];
        var shell = PlanarFactory.CreateLinearRing(coords);
        var polygon = PlanarFactory.CreatePolygon(shell);
        if (!shell.IsSimple || !polygon.IsValid)
        {
            return OutlineResult.Fail("The polygon's edges cross or touch each other (it is self-intersecting); edges are the shortest paths between vertices.");
        }

        var area = EqualArea.RingAreaM2(ring, cap.Center);
        if (area > limits.MaxAreaM2)
        {
            return AreaError("polygon", area, limits);
        }

        var bounds = PolygonBounds(distinct, edges, minLng, maxLng);
        var prepared = new PreparedPolygon(distinct, ring, bounds, area, cap, x, y);
        return new OutlineResult(new PolygonOutline([.. vertices], prepared), null);
    }

    /// <summary>
    /// Creates a circle outline: every point within <paramref name="radiusM"/> metres (geodesic)
    /// of <paramref name="center"/>. Errors: non-finite or out-of-range centre, non-positive or
    /// non-finite radius, a circle containing or touching a pole, diameter or area over the limits.
    /// </summary>
    public static OutlineResult Circle(GeoPoint center, double radiusM, GeometryLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var error = CheckPoint(center, "The circle's centre");
        if (error is not null)
        {
            return OutlineResult.Fail(error);
        }

        if (!double.IsFinite(radiusM) || radiusM <= 0.0)
        {
            return OutlineResult.Fail(string.Create(CultureInfo.InvariantCulture,
                $"The circle's radius must be a positive finite number of metres; {radiusM} was given."));
        }

        if (2.0 * radiusM > limits.MaxExtentM)
        {
            return ExtentError("circle", 2.0 * radiusM, limits);
        }

        var c = new GeoPoint(center.Lat, Wgs84.NormalizeLng(center.Lng));
        var toNorth = Geodesic.Inverse(c, new GeoPoint(90.0, c.Lng)).DistanceM;
        var toSouth = Geodesic.Inverse(c, new GeoPoint(-90.0, c.Lng)).DistanceM;
        if (radiusM >= Math.Min(toNorth, toSouth))
        {
            return OutlineResult.Fail("The circle contains or touches a pole; outlines must not contain or touch a pole.");
        }

        var area = CircleArea(c, radiusM);
        if (area > limits.MaxAreaM2)
        {
            return AreaError("circle", area, limits);
        }

        var prepared = new PreparedCircle(c, radiusM, CircleBounds(c, radiusM), area);
        return new OutlineResult(new CircleOutline(center, radiusM, prepared), null);
    }

    internal static readonly GeometryFactory PlanarFactory = new();

    private static string? CheckPoint(GeoPoint p, string what)
    {
        if (!double.IsFinite(p.Lat) || !double.IsFinite(p.Lng))
        {
            return $"{what} has a coordinate that is not a finite number.";
        }

        if (p.Lat < -90.0 || p.Lat > 90.0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{what} has latitude {p.Lat}, outside [-90, 90].");
        }

        if (p.Lng < -180.0 || p.Lng > 180.0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{what} has longitude {p.Lng}, outside [-180, 180].");
        }

        return null;
    }

    private static bool SamePosition(GeoPoint a, GeoPoint b) =>
        a.Lat == b.Lat && Wgs84.NormalizeLng(a.Lng) == Wgs84.NormalizeLng(b.Lng);

    /// <summary>The sentence that refuses a polygon with more vertices than the limit.</summary>
    public static string VertexLimitError(int count, GeometryLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        return string.Create(CultureInfo.InvariantCulture, $"The polygon has {count} vertices; the limit is {limits.MaxVertices}.");
    }

    private static OutlineResult ExtentError(string what, double extentM, GeometryLimits limits) =>
        OutlineResult.Fail(string.Create(CultureInfo.InvariantCulture,
            $"The {what} is {extentM / 1000.0:0.###} km across; the limit is {limits.MaxExtentM / 1000.0:0.###} km."));

    private static OutlineResult AreaError(string what, double areaM2, GeometryLimits limits) =>
        OutlineResult.Fail(string.Create(CultureInfo.InvariantCulture,
            $"The {what}'s area is {areaM2 / 1e6:0.###} km^2; the limit is {limits.MaxAreaM2 / 1e6:0.###} km^2."));

    /// <summary>
    /// Densifies each edge along its geodesic into equal pieces of at most <see cref="MaxSegmentM"/>.
    /// An edge is always walked from its lesser endpoint (by latitude, then longitude) so that two
    /// polygons sharing an edge, in either direction, get bitwise-identical points: shared edges
    /// then touch exactly in any projection.
    /// </summary>
    internal static GeoPoint[] Densify(IReadOnlyList<GeoPoint> vertices)
    {
        var n = vertices.Count;
        var ring = new List<GeoPoint>(n * 2);
        var between = new List<GeoPoint>();
        for (var i = 0; i < n; i++)
        {
            var p = vertices[i];
            var q = vertices[(i + 1) % n];
            ring.Add(p);
            var forward = p.Lat < q.Lat || (p.Lat == q.Lat && p.Lng < q.Lng);
            var (from, to) = forward ? (p, q) : (q, p);
            var line = Geodesic.Inverse(from, to);
            var pieces = (int)Math.Ceiling(line.DistanceM / MaxSegmentM);
            if (pieces <= 1)
            {
                continue;
            }

            between.Clear();
            for (var k = 1; k < pieces; k++)
            {
                between.Add(Geodesic.Direct(from, line.InitialAzimuthDeg, line.DistanceM * k / pieces));
            }

            if (!forward)
            {
                between.Reverse();
            }

            ring.AddRange(between);
        }

        return [.. ring];
    }

    /// <summary>Greatest geodesic distance between two of the points (<see cref="FarthestPair"/>: O(n log n) for most shapes).</summary>
    internal static double Extent(IReadOnlyList<GeoPoint> points) => FarthestPair.GreatestDistanceM(points);

    /// <summary>
    /// A cap around the ring: centre at the normalised mean of the points' unit vectors, radius the
    /// largest geodesic distance to a ring point plus a margin for the pieces between points (a
    /// point on a piece of length L is within L/2 of an end, and the distance along a short
    /// geodesic exceeds its ends' by at most L^2 / (8 R) tan(rho / R), about 0.2 m for 8 km pieces).
    /// The region's farthest point from the centre lies on its boundary.
    /// </summary>
    private static OutlineCap BoundingCap(GeoPoint[] ring)
    {
        double sx = 0, sy = 0, sz = 0;
        foreach (var p in ring)
        {
            var phi = p.Lat * Wgs84.DegToRad;
            var lam = p.Lng * Wgs84.DegToRad;
            sx += Math.Cos(phi) * Math.Cos(lam);
            sy += Math.Cos(phi) * Math.Sin(lam);
            sz += Math.Sin(phi);
        }

        var center = new GeoPoint(
            Math.Atan2(sz, Math.Sqrt((sx * sx) + (sy * sy))) * Wgs84.RadToDeg,
            Wgs84.NormalizeLng(Math.Atan2(sy, sx) * Wgs84.RadToDeg));
        var radius = 0.0;
        foreach (var p in ring)
        {
            radius = Math.Max(radius, Geodesic.Inverse(center, p).DistanceM);
        }

        return new OutlineCap(center, Wgs84.ReducedUnitVector(center), radius + 1.0);
    }

    /// <summary>
    /// Exact box of a polygon with geodesic edges: latitudes from the vertices and from each edge's
    /// own extreme, where the edge turns through azimuth 90 degrees (Clairaut: cos(beta_max) =
    /// |sin(alpha) cos(beta)|, constant along the geodesic); longitudes from the unwrapped walk
    /// along the edges (longitude is monotonic along a geodesic). A 1 cm margin absorbs rounding.
    /// </summary>
    private static GeoBox PolygonBounds(List<GeoPoint> vertices, GeodesicLine[] edges, double minLng, double maxLng)
    {
        var south = 90.0;
        var north = -90.0;
        var n = vertices.Count;
        for (var i = 0; i < n; i++)
        {
            var p = vertices[i];
            south = Math.Min(south, p.Lat);
            north = Math.Max(north, p.Lat);
            var cos1 = Math.Cos(edges[i].InitialAzimuthDeg * Wgs84.DegToRad);
            var cos2 = Math.Cos(edges[i].FinalAzimuthDeg * Wgs84.DegToRad);
            if ((cos1 > 0.0 && cos2 < 0.0) || (cos1 < 0.0 && cos2 > 0.0))
            {
                var (_, cosBeta) = Wgs84.ReducedLatitude(p.Lat);
                var sinAlpha0 = Math.Abs(Math.Sin(edges[i].InitialAzimuthDeg * Wgs84.DegToRad) * cosBeta);
                var betaMax = Math.Acos(Math.Min(1.0, sinAlpha0));
                var phiMax = Math.Atan(Math.Tan(betaMax) / (1.0 - Wgs84.F)) * Wgs84.RadToDeg;
                if (cos1 > 0.0)
                {
                    north = Math.Max(north, phiMax);
                }
                else
                {
                    south = Math.Min(south, -phiMax);
                }
            }
        }

        var lng0 = vertices[0].Lng;
        var box = maxLng - minLng >= 360.0
            ? new GeoBox(south, -180.0, north, 180.0)
            : new GeoBox(south, GeoBox.NormalizeWest(lng0 + minLng), north, GeoBox.NormalizeEast(lng0 + maxLng));
        return box.Expand(0.01);
    }

    /// <summary>
    /// Exact box of a geodesic circle: the northernmost and southernmost points lie on the centre's
    /// meridian (the meridian is the shortest way to a parallel); the widest longitude is found by
    /// golden-section search over the azimuth (the longitude offset is unimodal on [0, 180] for a
    /// circle that does not contain a pole) and is the same on both sides by symmetry.
    /// </summary>
    private static GeoBox CircleBounds(GeoPoint c, double r)
    {
        var north = Geodesic.Direct(c, 0.0, r).Lat;
        var south = Geodesic.Direct(c, 180.0, r).Lat;
        double Offset(double az) => Math.Abs(Wgs84.NormalizeLng(Geodesic.Direct(c, az, r).Lng - c.Lng));
        var lo = 0.0;
        var hi = 180.0;
        var g = (Math.Sqrt(5.0) - 1.0) / 2.0;
        var x1 = hi - (g * (hi - lo));
        var x2 = lo + (g * (hi - lo));
        var f1 = Offset(x1);
        var f2 = Offset(x2);
        for (var i = 0; i < 60; i++)
        {
            if (f1 < f2)
            {
                lo = x1;
                x1 = x2;
                f1 = f2;
                x2 = lo + (g * (hi - lo));
                f2 = Offset(x2);
            }
            else
            {
                hi = x2;
                x2 = x1;
                f2 = f1;
                x1 = hi - (g * (hi - lo));
                f1 = Offset(x1);
            }
        }

        var half = Math.Max(f1, f2);
        var box = new GeoBox(south, GeoBox.NormalizeWest(c.Lng - half), north, GeoBox.NormalizeEast(c.Lng + half));
        return box.Expand(0.01);
    }

    /// <summary>
    /// Area of a geodesic circle: boundary samples in an equal-area projection, the inscribed
    /// polygon's area scaled by (2 pi / n) / sin(2 pi / n), which is exact for a circle and leaves
    /// an error far below 1e-6 for the nearly circular image.
    /// </summary>
    private static double CircleArea(GeoPoint c, double r)
    {
        var ring = new GeoPoint[CircleAreaSamples];
        for (var i = 0; i < ring.Length; i++)
        {
            ring[i] = Geodesic.Direct(c, 360.0 * i / ring.Length, r);
        }

        var step = 2.0 * Math.PI / ring.Length;
        return EqualArea.RingAreaM2(ring, c) * step / Math.Sin(step);
    }
}
