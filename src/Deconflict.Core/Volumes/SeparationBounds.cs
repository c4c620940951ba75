using Deconflict.Core.Geometry;

namespace Deconflict.Core.Volumes;

/// <summary>
/// Cheap, rigorous decisions of "are two outlines closer than the buffer?" that settle almost every
/// pair before the exact projected tests: polygon/polygon there costs 15-30 us (NetTopologySuite
/// relate and nearest points after projecting every ring point with a geodesic inverse problem),
/// polygon/circle about 0.5 us, circle/circle one geodesic inverse problem. Each returns null
/// when its bounds cannot decide, and the caller runs the exact test.
/// </summary>
/// <remarks>
/// <para>
/// The bounds, on the auxiliary sphere (reduced latitude beta, longitude lambda; the unit vectors
/// of <see cref="Wgs84.ReducedUnitVector"/>):
/// </para>
/// <list type="number">
/// <item>The ellipsoid's line element is ds^2 = a^2 (1 - e^2 cos^2 beta) dbeta^2 + a^2 cos^2 beta
/// dlambda^2, between b and a times the sphere's. So for any two sets the geodesic distance D and
/// the sphere angle T satisfy b T &lt;= D &lt;= a T.</item>
/// <item>An ellipsoidal geodesic edge is a great circle in Bessel's (beta, omega) coordinates; in
/// (beta, lambda) it departs from the great-circle arc through its ends by less than f s^2 / 8
/// for an edge of angle s (the longitude shift lambda - omega is f sin(alpha0) sigma to first
/// order; measured worst ratio 0.126 over 20,000 random edges of 1 to 2,000 km). We take f s^2 / 4
/// per edge, so the polygon with great-circle edges between the given vertices is within that
/// angle (Hausdorff) of the true polygon, and the sphere angle between the true outlines is the
/// angle between the great-circle ones plus or minus the deviations.</item>
/// <item>In the gnomonic projection on the tangent plane at a centre, great circles are straight
/// lines, so the great-circle polygons are exactly planar polygons and overlap iff their
/// projections do; every scale factor is between 1 and sec^2(rho) within rho of the centre, so the
/// planar distance G and the angle T' satisfy G / sec^2(rho) &lt;= T' &lt;= G. From the centre
/// itself the angle is exactly atan(G).</item>
/// <item>A geodesic circle of radius r about c is at distance max(0, D(c, X) - r) from any set X
/// (the ellipsoid is a length space: walk the geodesic from c).</item>
/// </list>
/// <para>
/// Only pairs whose distance lies within about 0.4% of the buffer (plus the deviations) are left
/// undecided. Cost: one projection per given vertex (three dot products, one division) and O(n m)
/// planar segment tests on the given vertices (5 to 10 in the realistic scenario): well under a
/// microsecond. Written by hand because no library offers a bounded, allocation-free spherical
/// outline distance; NetTopologySuite's planar operations are what this sits in front of.
/// </para>
/// </remarks>
internal static class SeparationBounds
{
    // Points farther than 60 degrees from the centre (sec^2 = 4) are left to the exact test; the
    // outlines are at most 1,000 km across, so this only guards against misuse.
    private const double MinCosRho = 0.5;

    // The planar distance below tries every pair of edges: beyond this many pairs (two polygons of
    // 400 vertices) it costs more than the exact test's O((n + m) log(n + m)), about 1 us per
    // projected ring point, so such pairs go straight to the exact test, which decides alike.
    private const long MaxPlanarPairs = 160_000;

    // Relative and absolute slack for floating-point rounding in the projection and planar tests.
    private const double RoundingRelative = 1e-9;
    private const double RoundingRad = 1e-12;

    /// <summary>
    /// The angle, in radians, by which the great-circle arc between two vertices may depart from
    /// the geodesic edge between them on the auxiliary sphere: f s^2 / 4 (twice the measured worst case).
    /// </summary>
    public static double EdgeDeviationRad(double edgeAngleRad) => Wgs84.F * edgeAngleRad * edgeAngleRad / 4.0;

    /// <summary>
    /// Polygon against polygon: true when they certainly conflict (interiors overlap or the distance
    /// is less than the buffer), false when they certainly do not, null when the bounds cannot tell.
    /// </summary>
    public static bool? Conflict(PreparedPolygon a, PreparedPolygon b, double bufferM)
    {
        var na = a.VertexVectors.Length;
        var nb = b.VertexVectors.Length;
        if ((long)na * nb > MaxPlanarPairs)
        {
            return null;
        }

        var (c, east, north) = Tangent(a.Cap.Vector);
        Span<double> coords = na + nb <= 128 ? stackalloc double[2 * (na + nb)] : new double[2 * (na + nb)];
        var minCos = 1.0;
        if (!Project(a.VertexVectors, c, east, north, coords[..(2 * na)], ref minCos) ||
            !Project(b.VertexVectors, c, east, north, coords[(2 * na)..], ref minCos))
        {
            return null;
        }

        var planar = PlanarDistance(coords[..(2 * na)], coords[(2 * na)..]);
        var sec2 = 1.0 / (minCos * minCos);
        var eps = a.EdgeDeviationRad + b.EdgeDeviationRad + RoundingRad + (RoundingRelative * planar);
        if (Wgs84.A * (planar + eps) < bufferM)
        {
            return true;
        }

        var lowerRad = (planar / sec2) - eps;
        return lowerRad > 0.0 && Wgs84.B * lowerRad >= bufferM ? false : null;
    }

    /// <summary>Polygon against circle, in the gnomonic projection centred on the circle's centre.</summary>
    public static bool? Conflict(PreparedPolygon p, PreparedCircle circle, double bufferM)
    {
        var (c, east, north) = Tangent(circle.Cap.Vector);
        var n = p.VertexVectors.Length;
        Span<double> coords = n <= 128 ? stackalloc double[2 * n] : new double[2 * n];
        var minCos = 1.0;
        if (!Project(p.VertexVectors, c, east, north, coords, ref minCos))
        {
            return null;
        }

        // From the projection's centre the angle to a point is atan of its planar distance, so the
        // nearest great-circle point is at atan(G) exactly.
        var g = Math.Sqrt(VertexToEdgesSquared([0.0, 0.0], coords));
        var angle = Math.Atan(g);
        var eps = p.EdgeDeviationRad + RoundingRad + (RoundingRelative * angle);
        if (Contains(coords, 0.0, 0.0))
        {
            // The centre is inside the great-circle polygon; it is inside the true one, an overlap,
            // unless it is within the edges' deviation of the boundary.
            return angle > eps ? true : CircleGap(circle, angle, eps, bufferM);
        }

        return CircleGap(circle, angle, eps, bufferM);
    }

    /// <summary>Circle against circle: the centres' sphere angle bounds their geodesic distance.</summary>
    public static bool? Conflict(PreparedCircle a, PreparedCircle b, double bufferM)
    {
        var angle = a.Cap.Vector.AngleTo(b.Cap.Vector);
        var eps = RoundingRad + (RoundingRelative * angle);
        var radii = a.RadiusM + b.RadiusM;
        if ((Wgs84.A * (angle + eps)) - radii < bufferM)
        {
            return true;
        }

        var lower = (Wgs84.B * (angle - eps)) - radii;
        return lower > 0.0 && lower >= bufferM ? false : null;
    }

    /// <summary>The circle's centre is outside the polygon, at a sphere angle of angle +- eps from it.</summary>
    private static bool? CircleGap(PreparedCircle circle, double angle, double eps, double bufferM)
    {
        if ((Wgs84.A * (angle + eps)) - circle.RadiusM < bufferM)
        {
            return true;
        }

        var lower = (Wgs84.B * (angle - eps)) - circle.RadiusM;
        return lower > 0.0 && lower >= bufferM ? false : null;
    }

    /// <summary>The tangent plane's basis at a unit vector: east = z x c normalised, north = c x east.</summary>
    private static (Vec3 Center, Vec3 East, Vec3 North) Tangent(Vec3 c)
    {
        // Cap centres are never at a pole (outlines may not touch one); fall back to the x axis near it all the same.
        var ex = -c.Y;
        var ey = c.X;
        var el = Math.Sqrt((ex * ex) + (ey * ey));
        var east = el < 1e-6 ? new Vec3(1.0, 0.0, 0.0) : new Vec3(ex / el, ey / el, 0.0);
        var north = new Vec3((c.Y * east.Z) - (c.Z * east.Y), (c.Z * east.X) - (c.X * east.Z), (c.X * east.Y) - (c.Y * east.X));
        return (c, east, north);
    }

    private static bool Project(Vec3[] vectors, in Vec3 c, in Vec3 east, in Vec3 north, Span<double> xy, ref double minCos)
    {
        for (var i = 0; i < vectors.Length; i++)
        {
            var d = vectors[i].Dot(c);
            if (d < MinCosRho)
            {
                return false;
            }

            minCos = Math.Min(minCos, d);
            xy[2 * i] = vectors[i].Dot(east) / d;
            xy[(2 * i) + 1] = vectors[i].Dot(north) / d;
        }

        return true;
    }

    /// <summary>
    /// Distance between two simple planar polygons given as closed rings of (x, y) pairs (regions,
    /// boundaries included): 0 when an edge of one meets an edge of the other or one contains the
    /// other, else the least vertex-to-edge distance either way. O(n m).
    /// </summary>
    internal static double PlanarDistance(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var na = a.Length / 2;
        var nb = b.Length / 2;
        for (int i = 0, pi = na - 1; i < na; pi = i++)
        {
            for (int j = 0, pj = nb - 1; j < nb; pj = j++)
            {
                if (SegmentsMeet(a[2 * pi], a[(2 * pi) + 1], a[2 * i], a[(2 * i) + 1], b[2 * pj], b[(2 * pj) + 1], b[2 * j], b[(2 * j) + 1]))
                {
                    return 0.0;
                }
            }
        }

        if (Contains(a, b[0], b[1]) || Contains(b, a[0], a[1]))
        {
            return 0.0;
        }

        return Math.Sqrt(Math.Min(VertexToEdgesSquared(a, b), VertexToEdgesSquared(b, a)));
    }

    private static double VertexToEdgesSquared(ReadOnlySpan<double> vertices, ReadOnlySpan<double> ring)
    {
        var best = double.PositiveInfinity;
        var n = ring.Length / 2;
        for (var v = 0; v < vertices.Length / 2; v++)
        {
            var px = vertices[2 * v];
            var py = vertices[(2 * v) + 1];
            for (int i = 0, j = n - 1; i < n; j = i++)
            {
                var x1 = ring[2 * j];
                var y1 = ring[(2 * j) + 1];
                var dx = ring[2 * i] - x1;
                var dy = ring[(2 * i) + 1] - y1;
                var len2 = (dx * dx) + (dy * dy);
                var t = len2 > 0.0 ? Math.Clamp((((px - x1) * dx) + ((py - y1) * dy)) / len2, 0.0, 1.0) : 0.0;
                var ox = x1 + (t * dx) - px;
                var oy = y1 + (t * dy) - py;
                best = Math.Min(best, (ox * ox) + (oy * oy));
            }
        }

        return best;
    }

    /// <summary>Closed segments p1-p2 and q1-q2 share a point (crossing, touching or collinear overlap).</summary>
    private static bool SegmentsMeet(double p1x, double p1y, double p2x, double p2y, double q1x, double q1y, double q2x, double q2y)
    {
        var d1 = Orient(q1x, q1y, q2x, q2y, p1x, p1y);
        var d2 = Orient(q1x, q1y, q2x, q2y, p2x, p2y);
        var d3 = Orient(p1x, p1y, p2x, p2y, q1x, q1y);
        var d4 = Orient(p1x, p1y, p2x, p2y, q2x, q2y);
        if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)))
        {
            return true;
        }

        return (d1 == 0 && Within(q1x, q1y, q2x, q2y, p1x, p1y)) ||
            (d2 == 0 && Within(q1x, q1y, q2x, q2y, p2x, p2y)) ||
            (d3 == 0 && Within(p1x, p1y, p2x, p2y, q1x, q1y)) ||
            (d4 == 0 && Within(p1x, p1y, p2x, p2y, q2x, q2y));
    }

    private static double Orient(double ax, double ay, double bx, double by, double cx, double cy) =>
        ((bx - ax) * (cy - ay)) - ((by - ay) * (cx - ax));

    private static bool Within(double ax, double ay, double bx, double by, double px, double py) =>
        Math.Min(ax, bx) <= px && px <= Math.Max(ax, bx) && Math.Min(ay, by) <= py && py <= Math.Max(ay, by);

    /// <summary>Crossing-number point-in-polygon (a point on the boundary is caught by the edge tests first).</summary>
    private static bool Contains(ReadOnlySpan<double> ring, double px, double py)
    {
        var inside = false;
        var n = ring.Length / 2;
        for (int i = 0, j = n - 1; i < n; j = i++)
        {
            var xi = ring[2 * i];
            var yi = ring[(2 * i) + 1];
            var xj = ring[2 * j];
            var yj = ring[(2 * j) + 1];
            if ((yi > py) != (yj > py) && px < xi + ((py - yi) / (yj - yi) * (xj - xi)))
            {
                inside = !inside;
            }
        }

        return inside;
    }
}
