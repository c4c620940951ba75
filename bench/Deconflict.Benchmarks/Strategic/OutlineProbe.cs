using System.Diagnostics;
using System.Globalization;
using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;

namespace Deconflict.Benchmarks.Strategic;

/// <summary>
/// `outline-probe [vertices] [diameter-km] [repeats]`: times the outline work for one large polygon
/// through the Core functions, with the vertex limit raised to the count: a near-circle (vertices at
/// jittered radii, so the ring is simple but every vertex has a partner almost opposite, the worst
/// case of the extent search), its extent alone, and one exact polygon/polygon test against a copy
/// shifted by half its diameter. Prints the best of the repeats.
/// </summary>
public static class OutlineProbe
{
    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "star")
        {
            return Star();
        }

        var n = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 30_000;
        var diameterKm = args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 100.0;
        var repeats = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var limits = new GeometryLimits(MaxVertices: Math.Max(n, 2_000));
        var vertices = NearCircle(new GeoPoint(35.0, 38.5), diameterKm * 500.0, n, 1);
        var shifted = NearCircle(new GeoPoint(35.0, 38.5 + (diameterKm / 2.0 / 91.0)), diameterKm * 500.0, n, 2);

        double create = double.MaxValue, extent = double.MaxValue, exact = double.MaxValue;
        for (var r = 0; r < repeats; r++)
        {
            var watch = Stopwatch.StartNew();
            var result = OutlineFactory.Polygon(vertices, limits);
            create = Math.Min(create, watch.Elapsed.TotalMilliseconds);
            var outline = result.Outline ?? throw new InvalidOperationException(result.Error);

            watch.Restart();
            var e = OutlineFactory.Extent(vertices);
            extent = Math.Min(extent, watch.Elapsed.TotalMilliseconds);

            if (Environment.GetEnvironmentVariable("PROBE_PHASES") == "1")
            {
                Phases(vertices);
            }

            if (Environment.GetEnvironmentVariable("PROBE_PAIRWISE") == "1")
            {
                watch.Restart();
                var pairwise = PairwiseExtent(vertices);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pairwise extent (the search before the branch and bound) {pairwise:0.000} m in {watch.Elapsed.TotalMilliseconds:0.0} ms"));
            }

            var other = OutlineFactory.Polygon(shifted, limits).Outline!;
            watch.Restart();
            var d = VolumeIntersection.OutlineDistanceM(outline, other);
            exact = Math.Min(exact, watch.Elapsed.TotalMilliseconds);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"run {r + 1}: extent {e:0.000} m, distance to the shifted copy {d:0.000} m"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{n} vertices, {diameterKm} km across: OutlineFactory.Polygon {create:0.0} ms, Extent {extent:0.0} ms, OutlineDistanceM {exact:0.0} ms (best of {repeats})"));
        return 0;
    }

    private static void Phases(GeoPoint[] vertices)
    {
        var watch = Stopwatch.StartNew();
        var ring = OutlineFactory.Densify(vertices);
        var t1 = watch.Elapsed.TotalMilliseconds;
        var frame = new LocalProjection(vertices[0]);
        var coords = ring.Select(p => { var (x, y) = frame.Forward(p); return new NetTopologySuite.Geometries.Coordinate(x, y); }).Append(default!).ToArray();
        coords[^1] = coords[0];
        var t2 = watch.Elapsed.TotalMilliseconds;
        var shell = OutlineFactory.PlanarFactory.CreateLinearRing(coords);
        var simple = shell.IsSimple;
        var t3 = watch.Elapsed.TotalMilliseconds;
        var valid = OutlineFactory.PlanarFactory.CreatePolygon(shell).IsValid;
        var t4 = watch.Elapsed.TotalMilliseconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"densify {t1:0.0} ms, project {t2 - t1:0.0} ms, IsSimple {t3 - t2:0.0} ms ({simple}), IsValid {t4 - t3:0.0} ms ({valid})"));
    }

    /// <summary>
    /// `outline-probe star`: 2,000 vertices alternating 490 km and 1 km from a centre (1,000
    /// spikes, within the extent and area limits, about 980,000 km of perimeter) with the perimeter
    /// limit raised, to show what the perimeter limit saves; then with the default limits.
    /// </summary>
    private static int Star()
    {
        var centre = new GeoPoint(30.0, 40.0);
        var star = Enumerable.Range(0, 2_000).Select(i => Geodesic.Direct(centre, 180.0 * i / 1_000, i % 2 == 0 ? 490_000 : 1_000)).ToArray();
        var raised = new GeometryLimits(MaxPerimeterM: double.MaxValue);
        for (var r = 0; r < 2; r++)
        {
            var watch = Stopwatch.StartNew();
            var result = OutlineFactory.Polygon(star, raised);
            var ring = result.Outline is PolygonOutline p ? OutlineFactory.Densify(p.Vertices).Length : 0;
            var raisedMs = watch.Elapsed.TotalMilliseconds;
            watch.Restart();
            var refused = OutlineFactory.Polygon(star, new GeometryLimits());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"star, 2,000 vertices: {raisedMs:0.0} ms with the perimeter limit raised ({result.Error ?? "accepted"}, {ring} ring points); {watch.Elapsed.TotalMilliseconds:0.00} ms to refuse: {refused.Error}"));
        }

        return 0;
    }

    /// <summary>
    /// The extent as OutlineFactory found it before FarthestPair, for comparison: every pair's
    /// angle on the auxiliary sphere, then the inverse problem for each pair within a factor
    /// b / (1.01 a) of the largest angle. O(n^2).
    /// </summary>
    private static double PairwiseExtent(GeoPoint[] points)
    {
        const double a = 6378137.0;
        const double b = a * (1.0 - (1.0 / 298.257223563));
        var n = points.Length;
        var v = new (double X, double Y, double Z)[n];
        for (var i = 0; i < n; i++)
        {
            var beta = Math.Atan((b / a) * Math.Tan(points[i].Lat * Math.PI / 180.0));
            var lam = points[i].Lng * Math.PI / 180.0;
            v[i] = (Math.Cos(beta) * Math.Cos(lam), Math.Cos(beta) * Math.Sin(lam), Math.Sin(beta));
        }

        static double Dot((double X, double Y, double Z) p, (double X, double Y, double Z) q) => (p.X * q.X) + (p.Y * q.Y) + (p.Z * q.Z);
        var minDot = 1.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                minDot = Math.Min(minDot, Dot(v[i], v[j]));
            }
        }

        var threshold = Math.Cos(Math.Min(Math.PI, Math.Acos(Math.Clamp(minDot, -1.0, 1.0)) * b / (a * 1.01)));
        var best = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                if (Dot(v[i], v[j]) <= threshold)
                {
                    best = Math.Max(best, Geodesic.Inverse(points[i], points[j]).DistanceM);
                }
            }
        }

        return best;
    }

    /// <summary>n vertices around a centre at radii jittered by up to 0.1 %, in azimuth order.</summary>
    private static GeoPoint[] NearCircle(GeoPoint centre, double radiusM, int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(i => Geodesic.Direct(centre, 360.0 * i / n, radiusM * (1.0 - (0.001 * random.NextDouble()))))];
    }
}
