using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Tests.Volumes;

/// <summary>
/// The cheap separation bounds in front of the exact test: each of the three facts its proof
/// rests on, measured; its planar distance on hand-computed cases; and its decisions against the
/// exact distance on random pairs, including the antimeridian and high latitudes.
/// </summary>
public class SeparationBoundsTests
{
    [Fact]
    public void A_geodesic_edge_stays_within_the_stated_angle_of_the_great_circle_arc()
    {
        var rnd = new Random(11);
        var worstRatio = 0.0;
        for (var n = 0; n < 3_000; n++)
        {
            var from = new GeoPoint((rnd.NextDouble() * 170) - 85, (rnd.NextDouble() * 360) - 180);
            var azimuth = rnd.NextDouble() * 360;
            var length = 1_000 * Math.Pow(2_000, rnd.NextDouble()); // 1 to 2,000 km
            var to = Geodesic.Direct(from, azimuth, length);
            var p = Wgs84.ReducedUnitVector(from);
            var q = Wgs84.ReducedUnitVector(to);
            var normal = Normalised(Cross(p, q));
            var edge = p.AngleTo(q);
            var bound = SeparationBounds.EdgeDeviationRad(edge);
            for (var i = 1; i < 32; i++)
            {
                var m = Wgs84.ReducedUnitVector(Geodesic.Direct(from, azimuth, length * i / 32.0));
                var deviation = Math.Abs(Math.Asin(m.Dot(normal)));
                Assert.True(deviation <= bound, $"edge of {length:F0} m from {from}: deviation {deviation:E3} rad over bound {bound:E3}");
                worstRatio = Math.Max(worstRatio, deviation / bound);
            }
        }

        // The bound is twice the worst measured: the worst ratio sits near one half, not near zero
        // (which would mean the sampling or the bound is wrong) and not at one.
        Assert.InRange(worstRatio, 0.4, 0.55);
    }

    [Fact]
    public void The_geodesic_distance_lies_between_b_and_a_times_the_auxiliary_sphere_angle()
    {
        var rnd = new Random(12);
        for (var n = 0; n < 5_000; n++)
        {
            var from = new GeoPoint((rnd.NextDouble() * 178) - 89, (rnd.NextDouble() * 360) - 180);
            var to = Geodesic.Direct(from, rnd.NextDouble() * 360, 10 * Math.Pow(200_000, rnd.NextDouble()));
            var distance = Geodesic.Inverse(from, to).DistanceM;
            var angle = Wgs84.ReducedUnitVector(from).AngleTo(Wgs84.ReducedUnitVector(to));
            // 1e-9 relative covers the geodesic solver's rounding.
            Assert.InRange(distance, Wgs84.B * angle * (1 - 1e-9), Wgs84.A * angle * (1 + 1e-9));
        }
    }

    [Theory]
    [InlineData("apart by 3 along x", new double[] { 0, 0, 1, 0, 1, 1, 0, 1 }, new double[] { 4, 0, 5, 0, 5, 1, 4, 1 }, 3.0)]
    [InlineData("apart diagonally, corner to corner", new double[] { 0, 0, 1, 0, 1, 1, 0, 1 }, new double[] { 4, 5, 5, 5, 5, 6, 4, 6 }, 5.0)]
    [InlineData("vertex to edge interior", new double[] { 0, 0, 2, 0, 2, 2, 0, 2 }, new double[] { 1, 3.5, 2, 5, 0, 5 }, 1.5)]
    [InlineData("edges crossing", new double[] { 0, 0, 2, 0, 2, 2, 0, 2 }, new double[] { 1, 1, 3, 1, 3, 3, 1, 3 }, 0.0)]
    [InlineData("touching at a vertex", new double[] { 0, 0, 1, 0, 1, 1, 0, 1 }, new double[] { 1, 1, 2, 1, 2, 2 }, 0.0)]
    [InlineData("sharing an edge", new double[] { 0, 0, 1, 0, 1, 1, 0, 1 }, new double[] { 1, 0, 2, 0, 2, 1, 1, 1 }, 0.0)]
    [InlineData("one inside the other", new double[] { 0, 0, 10, 0, 10, 10, 0, 10 }, new double[] { 4, 4, 5, 4, 5, 5 }, 0.0)]
    [InlineData("the other inside the one", new double[] { 4, 4, 5, 4, 5, 5 }, new double[] { 0, 0, 10, 0, 10, 10, 0, 10 }, 0.0)]
    [InlineData("in the notch of a concave polygon", new double[] { 0, 0, 6, 0, 6, 6, 4, 6, 4, 2, 2, 2, 2, 6, 0, 6 }, new double[] { 2.5, 4, 3.5, 4, 3.5, 5, 2.5, 5 }, 0.5)]
    public void Planar_distance_matches_hand_computed_cases(string name, double[] a, double[] b, double expected)
    {
        Assert.True(Math.Abs(SeparationBounds.PlanarDistance(a, b) - expected) < 1e-12, name);
        Assert.True(Math.Abs(SeparationBounds.PlanarDistance(b, a) - expected) < 1e-12, name + " (swapped)");
    }

    [Fact]
    public void Every_decision_agrees_with_the_exact_distance_and_almost_every_pair_is_decided()
    {
        // Polygon/polygon, polygon/circle and circle/circle, 1 to 300 km, a fifth of them across
        // the antimeridian and a fifth above 75 degrees of latitude.
        var rnd = new Random(13);
        double[] buffers = [0, 30, 500, 5_556, 20_000];
        int decided = 0, undecided = 0, near = 0, withBuffer = 0, undecidedWithBuffer = 0;
        for (var n = 0; n < 4_000; n++)
        {
            var (a, _, b, _, _) = RandomisedAgreementTests.RandomPair(rnd, 300_000);
            var buffer = buffers[rnd.Next(buffers.Length)];
            withBuffer += buffer > 0 ? 1 : 0;
            var verdict = Bounds(a, b, buffer);
            var exact = VolumeIntersection.OutlineDistanceM(a, b);
            var overlap = VolumeIntersection.InteriorsOverlap(a, b);
            var context = $"pair {n}, buffer {buffer} m, exact distance {exact:F3} m, overlap {overlap}";
            if (verdict is null)
            {
                undecided++;
                undecidedWithBuffer += buffer > 0 ? 1 : 0;
                // Only pairs near the buffer, or touching or overlapping with no buffer, are left open.
                near += buffer == 0 || Math.Abs(exact - buffer) <= (0.005 * buffer) + 250 ? 1 : 0;
                continue;
            }

            decided++;
            // The exact distance is accurate to well under 1 m; the bounds never decide that close.
            Assert.True(verdict.Value == (overlap || exact < buffer), context + $", bounds said {verdict}");
        }

        // With a zero buffer, overlapping pairs are always left to the exact test; with a buffer,
        // only the thin band around it is (these pairs are placed close on purpose: in the
        // benchmark scenario 3 pairs in 25,000 are left).
        Assert.Equal(undecided, near);
        Assert.True(undecidedWithBuffer * 50 < withBuffer, $"{decided} decided, {undecided} undecided, {undecidedWithBuffer} of {withBuffer} with a buffer");
    }

    private static bool? Bounds(Outline a, Outline b, double buffer) => (a, b) switch
    {
        (PolygonOutline pa, PolygonOutline pb) => SeparationBounds.Conflict(pa.Prepared, pb.Prepared, buffer),
        (PolygonOutline pa, CircleOutline cb) => SeparationBounds.Conflict(pa.Prepared, cb.Prepared, buffer),
        (CircleOutline ca, PolygonOutline pb) => SeparationBounds.Conflict(pb.Prepared, ca.Prepared, buffer),
        (CircleOutline ca, CircleOutline cb) => SeparationBounds.Conflict(ca.Prepared, cb.Prepared, buffer),
        _ => throw new ArgumentException("unknown outlines"),
    };

    private static Vec3 Cross(Vec3 a, Vec3 b) => new((a.Y * b.Z) - (a.Z * b.Y), (a.Z * b.X) - (a.X * b.Z), (a.X * b.Y) - (a.Y * b.X));

    private static Vec3 Normalised(Vec3 v)
    {
        var l = Math.Sqrt(v.Dot(v));
        return new Vec3(v.X / l, v.Y / l, v.Z / l);
    }
}
