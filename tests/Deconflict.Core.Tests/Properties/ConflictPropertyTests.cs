using CsCheck;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Tests.Properties;

/// <summary>
/// Invariants of the conflict test over random pairs (<see cref="GeometryProperties"/>): symmetry,
/// monotonicity in both buffers, and invariance under a shift in longitude that puts the pair
/// across the antimeridian. A few hundred cases each in the default run; the Slow set runs 20,000.
/// </summary>
public sealed class ConflictPropertyTests
{
    private const long DefaultIterations = 300;
    private const long SlowIterations = 20_000;

    private static readonly Gen<Separation> Buffers =
        Gen.Select(Gen.Double[0, 20_000], Gen.Double[0, 1_000], (h, v) => new Separation(h, v));

    [Fact]
    public void Conflict_is_symmetric() => Symmetric(DefaultIterations);

    [Fact]
    [Trait("Category", "Slow")]
    public void Conflict_is_symmetric_slow() => Symmetric(SlowIterations);

    [Fact]
    public void A_conflict_stays_a_conflict_with_larger_buffers() => Monotonic(DefaultIterations);

    [Fact]
    [Trait("Category", "Slow")]
    public void A_conflict_stays_a_conflict_with_larger_buffers_slow() => Monotonic(SlowIterations);

    [Fact]
    public void Shapes_shifted_across_the_antimeridian_conflict_as_their_unshifted_copies() => Antimeridian(DefaultIterations);

    [Fact]
    [Trait("Category", "Slow")]
    public void Shapes_shifted_across_the_antimeridian_conflict_as_their_unshifted_copies_slow() => Antimeridian(SlowIterations);

    /// <summary>a conflicts with b iff b conflicts with a, with the same overlap (time window and altitude band).</summary>
    private static void Symmetric(long iterations) =>
        Gen.Select(GeometryProperties.Pair, Buffers).Sample(t =>
        {
            var (a, b) = GeometryProperties.Build(t.Item1);
            Assert.Equal(VolumeIntersection.Find(a, b, t.Item2), VolumeIntersection.Find(b, a, t.Item2));
        }, iter: iterations);

    /// <summary>
    /// A conflict with buffers (h, v) is one with (h + dh, v) and with (h, v + dv) for any dh, dv &gt;= 0,
    /// with the same overlap (the overlap depends on the volumes, not on the buffers).
    /// </summary>
    private static void Monotonic(long iterations) =>
        Gen.Select(GeometryProperties.Pair, Buffers, Gen.Double[0, 50_000], Gen.Double[0, 2_000]).Sample(t =>
        {
            var (pair, buffer, dh, dv) = t;
            var (a, b) = GeometryProperties.Build(pair);
            if (VolumeIntersection.Find(a, b, buffer) is not { } overlap)
            {
                return;
            }

            Assert.Equal(overlap, VolumeIntersection.Find(a, b, buffer with { HorizontalM = buffer.HorizontalM + dh }));
            Assert.Equal(overlap, VolumeIntersection.Find(a, b, buffer with { VerticalM = buffer.VerticalM + dv }));
        }, iter: iterations);

    /// <summary>
    /// The pair moved in longitude so that its first centre lies within 1 degree of 180 (so most pairs
    /// straddle it) conflicts exactly as the pair where it was, with the same overlap.
    /// </summary>
    private static void Antimeridian(long iterations) =>
        Gen.Select(GeometryProperties.Pair, Buffers, Gen.Double[-1, 1]).Sample(t =>
        {
            var (pair, buffer, offset) = t;
            var (a, b) = GeometryProperties.Build(pair);
            var (a2, b2) = GeometryProperties.Build(pair, 180.0 + offset - pair.Centre.Lng);
            Assert.Equal(VolumeIntersection.Find(a, b, buffer), VolumeIntersection.Find(a2, b2, buffer));
        }, iter: iterations);
}
