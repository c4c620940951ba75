using System.Diagnostics;
using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;
using Xunit.Abstractions;

namespace Deconflict.Core.Tests.Volumes;

/// <summary>
/// The randomised check: the exact test against the independent dense-sampling reference
/// (<see cref="GeodesicReference"/>) on random volume pairs with a fixed seed: polygons of 3-12
/// vertices and circles, 1 to 300 km across, a fifth near the antimeridian and a fifth above 75
/// degrees of latitude, placed close to each other so that both outcomes are frequent.
/// </summary>
public class RandomisedAgreementTests(ITestOutputHelper output)
{
    private static readonly GeometryLimits Limits = new();
    private static readonly double[] Buffers = [0, 0, 30, 500, 5_556, 20_000];

    /// <summary>
    /// Tolerance for false positives: the production test may say "conflict" where the exact
    /// reference distance is at most this much above the buffer (its chord error is below 0.2 m;
    /// the reference's golden-section searches are sub-millimetre).
    /// </summary>
    private const double FalsePositiveToleranceM = 0.5;

    [Fact]
    public void Exact_test_agrees_with_the_geodesic_reference_on_10000_random_pairs()
    {
        var rnd = new Random(20261126);
        var stopwatch = Stopwatch.StartNew();
        int conflicts = 0, clear = 0, refined = 0, nearBoundaryPositives = 0, antimeridian = 0, polar = 0;
        for (var n = 0; n < 10_000; n++)
        {
            var (a, refA, b, refB, region) = RandomPair(rnd, 300_000);
            antimeridian += region == 1 ? 1 : 0;
            polar += region == 2 ? 1 : 0;
            var buffer = Buffers[rnd.Next(Buffers.Length)];
            var produced = VolumeIntersection.OutlinesConflict(a, b, buffer);
            var coarse = GeodesicReference.Bounds(refA, refB);

            // Decide from the coarse bounds when they settle it; otherwise (or to measure a positive
            // the bounds call clear) ask the exact reference.
            bool? settled = null;
            if (coarse.Upper < buffer)
            {
                // Two boundary points closer than the buffer: a conflict whatever else holds.
                settled = true;
            }
            else if (coarse.Lower >= buffer && coarse.Lower > 0 && !Contained(refA, refB))
            {
                // Boundaries apart by at least the buffer and neither inside the other.
                settled = false;
            }

            var exactDistance = double.NaN;
            var expected = settled ?? false;
            if (settled is null || (settled == false && produced))
            {
                var exact = GeodesicReference.Evaluate(refA, refB);
                refined++;
                exactDistance = exact.Distance;
                expected = exact.Overlap || exact.Distance < buffer;
            }

            var context = $"pair {n}: {Describe(a)} / {Describe(b)}, buffer {buffer} m, coarse [{coarse.Lower:F1}, {coarse.Upper:F1}], exact {exactDistance:F3}, " +
                $"production distance {VolumeIntersection.OutlineDistanceM(a, b):F3}";
            if (expected)
            {
                Assert.True(produced, "false negative: " + context);
                conflicts++;
            }
            else if (produced)
            {
                Assert.True(exactDistance - buffer <= FalsePositiveToleranceM, "false positive: " + context);
                nearBoundaryPositives++;
                conflicts++;
            }
            else
            {
                clear++;
            }
        }

        output.WriteLine($"{conflicts} conflicts, {clear} clear, {refined} refined by the exact reference, {nearBoundaryPositives} positives within " +
            $"{FalsePositiveToleranceM} m of the buffer, {antimeridian} near the antimeridian, {polar} above 75 degrees, {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.InRange(conflicts, 3_000, 7_000);
        Assert.InRange(antimeridian, 1_500, 2_500);
        Assert.InRange(polar, 1_500, 2_500);
    }

    /// <summary>OutlineDistanceM within 1 m of the exact reference for shapes up to 500 km across.</summary>
    [Fact]
    public void OutlineDistance_agrees_with_the_geodesic_reference_within_1_m()
    {
        var rnd = new Random(7);
        var worst = 0.0;
        var measured = 0;
        for (var n = 0; n < 1_500; n++)
        {
            var (a, refA, b, refB, _) = RandomPair(rnd, 500_000);
            var exact = GeodesicReference.Evaluate(refA, refB);
            var produced = VolumeIntersection.OutlineDistanceM(a, b);
            var context = $"pair {n}: {Describe(a)} / {Describe(b)}: reference {exact.Distance:F3} (overlap {exact.Overlap}), production {produced:F3}";
            Assert.True(Math.Abs(produced - exact.Distance) <= 1.0, context);
            Assert.Equal(exact.Overlap, VolumeIntersection.InteriorsOverlap(a, b));
            if (!exact.Overlap)
            {
                worst = Math.Max(worst, Math.Abs(produced - exact.Distance));
                measured++;
            }
        }

        output.WriteLine($"{measured} separated pairs, worst distance error {worst * 1000:F1} mm");
        Assert.True(measured > 300);
    }

    private static bool Contained(GeodesicReference.Shape a, GeodesicReference.Shape b) =>
        GeodesicReference.Contains(b, a.Samples[0]) || GeodesicReference.Contains(a, b.Samples[0]);

    internal static (Outline A, GeodesicReference.Shape RefA, Outline B, GeodesicReference.Shape RefB, int Region) RandomPair(Random rnd, double maxSizeM)
    {
        while (true)
        {
            var region = rnd.Next(5) switch { 0 => 1, 1 => 2, _ => 0 };
            var sizeA = LogUniform(rnd, 1_000, maxSizeM);
            var sizeB = LogUniform(rnd, 1_000, maxSizeM);
            var centerA = region switch
            {
                1 => new GeoPoint((rnd.NextDouble() * 120) - 60, Lng(180 + ((rnd.NextDouble() - 0.5) * 4))),
                2 => new GeoPoint((rnd.Next(2) == 0 ? 1 : -1) * (75 + (rnd.NextDouble() * 12)), (rnd.NextDouble() * 360) - 180),
                _ => new GeoPoint((rnd.NextDouble() * 120) - 60, (rnd.NextDouble() * 360) - 180),
            };
            // Nominal radii: the gap between the shapes' nominal circles ranges from overlap to 30 % of their size.
            var spacing = ((sizeA + sizeB) / 2 * (0.2 + (rnd.NextDouble() * 1.1))) + (rnd.NextDouble() * 10_000);
            var centerB = Geodesic.Direct(centerA, rnd.NextDouble() * 360, spacing);
            var a = RandomShape(rnd, centerA, sizeA);
            var b = RandomShape(rnd, centerB, sizeB);
            if (a is not null && b is not null)
            {
                return (a.Value.Outline, a.Value.Reference, b.Value.Outline, b.Value.Reference, region);
            }
        }
    }

    private static (Outline Outline, GeodesicReference.Shape Reference)? RandomShape(Random rnd, GeoPoint center, double size)
    {
        if (rnd.Next(3) == 0)
        {
            var circle = OutlineFactory.Circle(center, size / 2, Limits).Outline;
            return circle is null ? null : (circle, GeodesicReference.Circle(center, size / 2));
        }

        // A star-shaped polygon around the centre: sorted bearings, radii 45-100 % of the half size.
        var n = rnd.Next(3, 13);
        var bearings = Enumerable.Range(0, n).Select(i => (360.0 * i / n) + (rnd.NextDouble() * 300.0 / n)).ToArray();
        var offset = rnd.NextDouble() * 360;
        var vertices = bearings.Select(b => Geodesic.Direct(center, b + offset, size / 2 * (0.45 + (0.55 * rnd.NextDouble())))).ToList();
        var polygon = OutlineFactory.Polygon(vertices, Limits).Outline;
        return polygon is null ? null : (polygon, GeodesicReference.Polygon(vertices));
    }

    private static string Describe(Outline o) => o switch
    {
        CircleOutline c => $"circle {c.Center} r {c.RadiusM:F0}",
        PolygonOutline p => $"polygon [{string.Join(", ", p.Vertices.Select(v => $"({v.Lat:F6}, {v.Lng:F6})"))}]",
        _ => o.ToString(),
    };

    private static double LogUniform(Random rnd, double lo, double hi) => lo * Math.Pow(hi / lo, rnd.NextDouble());

    private static double Lng(double lng) => lng >= 180 ? lng - 360 : lng;
}
