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

    /// <summary>n vertices around a centre at radii jittered by up to 0.1 %, in azimuth order.</summary>
    private static GeoPoint[] NearCircle(GeoPoint centre, double radiusM, int n, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(i => Geodesic.Direct(centre, 360.0 * i / n, radiusM * (1.0 - (0.001 * random.NextDouble()))))];
    }
}
