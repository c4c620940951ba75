using Deconflict.Core.Geometry;

namespace Deconflict.Core.Tests.Volumes;

/// <summary>
/// A slow reference for the horizontal tests, independent of the production code path: it uses
/// only the public geodesic solver (Direct/Inverse), earth-centred coordinates, its own
/// point-in-polygon test (a ray along the meridian to the north pole, crossing each geodesic
/// edge where a bisection along the edge finds its longitude) and its own minimisations (golden
/// section along edges). No projection, no densified ring, no NetTopologySuite.
/// </summary>
/// <remarks>
/// Coarse stage: boundary samples every <see cref="SampleSpacingM"/> metres or less. Every
/// boundary point lies within h/2 (along the boundary) of a sample, and a straight 3D chord is
/// never longer than the geodesic, so the boundary distance D satisfies
/// min chord - (hA + hB) / 2 &lt;= D &lt;= geodesic between the nearest samples.
/// Exact stage: D is the smallest distance from a vertex of one polygon to an edge of the other
/// (two geodesic segments that do not cross are nearest at an end of one of them: on a surface
/// of positive curvature an interior critical point of the distance between them is not a
/// minimum), each found by golden-section search to sub-millimetre; crossing edges (found by
/// which side of each other's geodesic the ends lie) or containment mean overlap.
/// </remarks>
internal static class GeodesicReference
{
    public const double SampleSpacingM = 2_000.0;
    private const double A = 6378137.0;
    private const double F = 1.0 / 298.257223563;
    private const double E2 = F * (2 - F);

    internal sealed class Shape
    {
        public bool IsCircle { get; init; }

        public GeoPoint Center { get; init; }

        public double Radius { get; init; }

        public GeoPoint[] Vertices { get; init; } = [];

        public Edge[] Edges { get; init; } = [];

        public GeoPoint[] Samples { get; init; } = [];

        public (double X, double Y, double Z)[] Ecef { get; init; } = [];

        /// <summary>Edge index of each sample (0 for circles).</summary>
        public int[] SampleEdge { get; init; } = [];

        /// <summary>Geodesic spacing of the samples of each edge (one entry for circles).</summary>
        public double[] Spacing { get; init; } = [];
    }

    internal readonly record struct Edge(GeoPoint P, GeoPoint Q, double Azimuth, double Length);

    /// <summary>Boundary distance bounds from samples, and whether containment/overlap was decided.</summary>
    internal readonly record struct Coarse(double Lower, double Upper);

    internal readonly record struct Exact(bool Overlap, double Distance);

    public static Shape Polygon(IReadOnlyList<GeoPoint> vertices)
    {
        var edges = new Edge[vertices.Count];
        var samples = new List<GeoPoint>();
        var sampleEdge = new List<int>();
        var spacing = new double[vertices.Count];
        for (var i = 0; i < vertices.Count; i++)
        {
            var p = vertices[i];
            var q = vertices[(i + 1) % vertices.Count];
            var line = Geodesic.Inverse(p, q);
            edges[i] = new Edge(p, q, line.InitialAzimuthDeg, line.DistanceM);
            var pieces = Math.Max(1, (int)Math.Ceiling(line.DistanceM / SampleSpacingM));
            spacing[i] = line.DistanceM / pieces;
            for (var k = 0; k <= pieces; k++)
            {
                samples.Add(k == 0 ? p : k == pieces ? q : Geodesic.Direct(p, line.InitialAzimuthDeg, line.DistanceM * k / pieces));
                sampleEdge.Add(i);
            }
        }

        return new Shape
        {
            Vertices = [.. vertices],
            Edges = edges,
            Samples = [.. samples],
            Ecef = [.. samples.Select(Ecef)],
            SampleEdge = [.. sampleEdge],
            Spacing = spacing,
            Center = vertices[0],
        };
    }

    public static Shape Circle(GeoPoint center, double radius)
    {
        var n = Math.Max(16, (int)Math.Ceiling(2 * Math.PI * radius / SampleSpacingM));
        var samples = Enumerable.Range(0, n).Select(i => Geodesic.Direct(center, 360.0 * i / n, radius)).ToArray();
        return new Shape
        {
            IsCircle = true,
            Center = center,
            Radius = radius,
            Samples = samples,
            Ecef = [.. samples.Select(Ecef)],
            SampleEdge = new int[n],
            // A geodesic circle's circumference is less than 2 pi r; 1 % covers uneven spacing.
            Spacing = [2 * Math.PI * radius / n * 1.01],
        };
    }

    /// <summary>Coarse bounds of the distance between the boundaries, O(nA nB) chord computations.</summary>
    public static Coarse Bounds(Shape a, Shape b)
    {
        var best = double.MaxValue;
        int bi = 0, bj = 0;
        for (var i = 0; i < a.Ecef.Length; i++)
        {
            var (x, y, z) = a.Ecef[i];
            for (var j = 0; j < b.Ecef.Length; j++)
            {
                var dx = x - b.Ecef[j].X;
                var dy = y - b.Ecef[j].Y;
                var dz = z - b.Ecef[j].Z;
                var d2 = (dx * dx) + (dy * dy) + (dz * dz);
                if (d2 < best)
                {
                    best = d2;
                    bi = i;
                    bj = j;
                }
            }
        }

        var upper = Geodesic.Inverse(a.Samples[bi], b.Samples[bj]).DistanceM;
        var lower = Math.Sqrt(best) - ((a.Spacing.Max() + b.Spacing.Max()) / 2) - 1e-3;
        return new Coarse(lower, upper);
    }

    /// <summary>Whether the regions overlap and the exact distance between them (0 when they overlap).</summary>
    public static Exact Evaluate(Shape a, Shape b)
    {
        if (a.IsCircle && b.IsCircle)
        {
            var gap = Geodesic.Inverse(a.Center, b.Center).DistanceM - a.Radius - b.Radius;
            return gap < 0 ? new Exact(true, 0) : new Exact(false, gap);
        }

        if (a.IsCircle || b.IsCircle)
        {
            var (circle, polygon) = a.IsCircle ? (a, b) : (b, a);
            if (Contains(polygon, circle.Center))
            {
                return new Exact(true, 0);
            }

            var d = DistanceToBoundary(circle.Center, polygon) - circle.Radius;
            return d < 0 ? new Exact(true, 0) : new Exact(false, d);
        }

        // Edge pairs whose samples come within their spacing of each other may cross.
        var near = NearestSamplesPerEdgePair(a, b);
        for (var i = 0; i < a.Edges.Length; i++)
        {
            for (var j = 0; j < b.Edges.Length; j++)
            {
                if (near[i, j] <= ((a.Spacing[i] + b.Spacing[j]) / 2) + 1.0 && Cross(a.Edges[i], b.Edges[j]))
                {
                    return new Exact(true, 0);
                }
            }
        }

        if (Contains(b, a.Vertices[0]) || Contains(a, b.Vertices[0]))
        {
            return new Exact(true, 0);
        }

        return new Exact(false, Math.Min(VertexToEdges(a, b), VertexToEdges(b, a)));
    }

    /// <summary>Point in polygon: crossings of the meridian from the point to the north pole (the polygon never contains a pole).</summary>
    public static bool Contains(Shape s, GeoPoint x)
    {
        if (s.IsCircle)
        {
            return Geodesic.Inverse(s.Center, x).DistanceM < s.Radius;
        }

        var inside = false;
        foreach (var e in s.Edges)
        {
            var a = Norm(e.P.Lng - x.Lng);
            var b = a + Norm(e.Q.Lng - e.P.Lng);
            if ((a < 0) == (b < 0))
            {
                continue;
            }

            // A geodesic piece of length L bulges poleward of its ends by at most about L^2 tan(phi) / (8 R).
            var phi = Math.Max(Math.Abs(e.P.Lat), Math.Abs(e.Q.Lat)) * Math.PI / 180;
            var bulge = (e.Length * e.Length / (8 * 6.3e6) * (1 + Math.Tan(phi)) / 110_000) + 1e-9;
            if (x.Lat < Math.Min(e.P.Lat, e.Q.Lat) - bulge)
            {
                inside = !inside;
                continue;
            }

            if (x.Lat > Math.Max(e.P.Lat, e.Q.Lat) + bulge)
            {
                continue;
            }

            double lo = 0, hi = 1;
            for (var k = 0; k < 60; k++)
            {
                var mid = (lo + hi) / 2;
                var p = Geodesic.Direct(e.P, e.Azimuth, e.Length * mid);
                var g = a + Norm(p.Lng - e.P.Lng);
                if ((g < 0) == (a < 0))
                {
                    lo = mid;
                }
                else
                {
                    hi = mid;
                }
            }

            if (Geodesic.Direct(e.P, e.Azimuth, e.Length * (lo + hi) / 2).Lat > x.Lat)
            {
                inside = !inside;
            }
        }

        return inside;
    }

    /// <summary>Exact geodesic distance from a point to a polygon's boundary.</summary>
    public static double DistanceToBoundary(GeoPoint x, Shape polygon)
    {
        var ex = Ecef(x);
        var lowerBounds = new double[polygon.Edges.Length];
        Array.Fill(lowerBounds, double.MaxValue);
        for (var k = 0; k < polygon.Samples.Length; k++)
        {
            var e = polygon.SampleEdge[k];
            lowerBounds[e] = Math.Min(lowerBounds[e], Chord(ex, polygon.Ecef[k]) - (polygon.Spacing[e] / 2) - 1e-3);
        }

        var best = double.MaxValue;
        foreach (var e in Enumerable.Range(0, polygon.Edges.Length).OrderBy(i => lowerBounds[i]))
        {
            if (lowerBounds[e] > best)
            {
                break;
            }

            best = Math.Min(best, PointToEdge(x, polygon.Edges[e]));
        }

        return best;
    }

    /// <summary>Smallest distance from a vertex of <paramref name="a"/> to an edge of <paramref name="b"/>.</summary>
    private static double VertexToEdges(Shape a, Shape b)
    {
        var best = double.MaxValue;
        foreach (var v in a.Vertices)
        {
            best = Math.Min(best, DistanceToBoundary(v, b));
        }

        return best;
    }

    /// <summary>
    /// Geodesic distance from a point to a geodesic edge: 33 samples along the edge, then golden-section
    /// search in the bracket around the best (the distance is unimodal there), 80 steps.
    /// </summary>
    public static double PointToEdge(GeoPoint x, Edge e)
    {
        double At(double t) => Geodesic.Inverse(x, Geodesic.Direct(e.P, e.Azimuth, e.Length * t)).DistanceM;
        const int n = 32;
        var bestK = 0;
        var bestD = double.MaxValue;
        for (var k = 0; k <= n; k++)
        {
            var d = At((double)k / n);
            if (d < bestD)
            {
                bestD = d;
                bestK = k;
            }
        }

        var lo = Math.Max(0, bestK - 1) / (double)n;
        var hi = Math.Min(n, bestK + 1) / (double)n;
        var g = (Math.Sqrt(5) - 1) / 2;
        var x1 = hi - (g * (hi - lo));
        var x2 = lo + (g * (hi - lo));
        var f1 = At(x1);
        var f2 = At(x2);
        for (var k = 0; k < 80; k++)
        {
            if (f1 < f2)
            {
                hi = x2;
                x2 = x1;
                f2 = f1;
                x1 = hi - (g * (hi - lo));
                f1 = At(x1);
            }
            else
            {
                lo = x1;
                x1 = x2;
                f1 = f2;
                x2 = lo + (g * (hi - lo));
                f2 = At(x2);
            }
        }

        return Math.Min(bestD, Math.Min(f1, f2));
    }

    private static double[,] NearestSamplesPerEdgePair(Shape a, Shape b)
    {
        var near = new double[a.Edges.Length, b.Edges.Length];
        for (var i = 0; i < a.Edges.Length; i++)
        {
            for (var j = 0; j < b.Edges.Length; j++)
            {
                near[i, j] = double.MaxValue;
            }
        }

        for (var i = 0; i < a.Samples.Length; i++)
        {
            for (var j = 0; j < b.Samples.Length; j++)
            {
                ref var cell = ref near[a.SampleEdge[i], b.SampleEdge[j]];
                cell = Math.Min(cell, Chord(a.Ecef[i], b.Ecef[j]));
            }
        }

        return near;
    }

    /// <summary>Two geodesic edges cross when each one's ends lie on opposite sides of the other's geodesic.</summary>
    private static bool Cross(Edge e1, Edge e2) =>
        Side(e1, e2.P) * Side(e1, e2.Q) < 0 && Side(e2, e1.P) * Side(e2, e1.Q) < 0;

    private static int Side(Edge e, GeoPoint x) => Math.Sign(Norm(Geodesic.Inverse(e.P, x).InitialAzimuthDeg - e.Azimuth));

    private static double Chord((double X, double Y, double Z) u, (double X, double Y, double Z) v)
    {
        var dx = u.X - v.X;
        var dy = u.Y - v.Y;
        var dz = u.Z - v.Z;
        return Math.Sqrt((dx * dx) + (dy * dy) + (dz * dz));
    }

    private static (double X, double Y, double Z) Ecef(GeoPoint p)
    {
        var phi = p.Lat * Math.PI / 180;
        var lam = p.Lng * Math.PI / 180;
        var n = A / Math.Sqrt(1 - (E2 * Math.Sin(phi) * Math.Sin(phi)));
        return (n * Math.Cos(phi) * Math.Cos(lam), n * Math.Cos(phi) * Math.Sin(lam), n * (1 - E2) * Math.Sin(phi));
    }

    private static double Norm(double deg)
    {
        var r = deg % 360.0;
        if (r >= 180)
        {
            r -= 360;
        }
        else if (r < -180)
        {
            r += 360;
        }

        return r;
    }
}
