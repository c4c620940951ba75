using Deconflict.Core.Geometry;

namespace Deconflict.Core.Tests.Geometry;

/// <summary>
/// The extent search against the definition: the largest geodesic distance over every pair (i, j),
/// i &lt; j, solved one by one. Equal to the last bit, since both solve the farthest pair the same way.
/// </summary>
public class FarthestPairTests
{
    [Theory]
    [InlineData(1, 10, 1_000.0, 35.0, 38.5)]          // a few points, 1 km
    [InlineData(2, 300, 100_000.0, 35.0, 38.5)]       // scattered, 100 km
    [InlineData(3, 500, 1_000_000.0, -60.0, 179.9)]   // scattered, 1,000 km across the antimeridian
    [InlineData(4, 400, 15_000_000.0, 10.0, 0.0)]     // half the globe: chords beyond the bound, solved exactly
    [InlineData(5, 2, 50_000.0, 80.0, -120.0)]
    public void Scattered_points_give_the_pairwise_maximum(int seed, int n, double spreadM, double lat, double lng)
    {
        var random = new Random(seed);
        var centre = new GeoPoint(lat, lng);
        var points = Enumerable.Range(0, n)
            .Select(_ => Geodesic.Direct(centre, random.NextDouble() * 360.0, random.NextDouble() * spreadM / 2.0))
            .ToArray();
        Assert.Equal(Pairwise(points), FarthestPair.GreatestDistanceM(points));
    }

    [Theory]
    [InlineData(6, 600, 100_000.0, 35.0, 38.5)]
    [InlineData(7, 600, 990_000.0, 0.0, 180.0)]
    [InlineData(8, 600, 300_000.0, 75.0, 20.0)]
    public void Near_circles_give_the_pairwise_maximum(int seed, int n, double diameterM, double lat, double lng)
    {
        // Every point has a partner almost opposite: the worst case of the search.
        var random = new Random(seed);
        var centre = new GeoPoint(lat, lng);
        var points = Enumerable.Range(0, n)
            .Select(i => Geodesic.Direct(centre, 360.0 * i / n, diameterM / 2.0 * (1.0 - (1e-4 * random.NextDouble()))))
            .ToArray();
        Assert.Equal(Pairwise(points), FarthestPair.GreatestDistanceM(points));
    }

    [Fact]
    public void Fewer_than_two_points_have_no_extent()
    {
        Assert.Equal(0.0, FarthestPair.GreatestDistanceM([]));
        Assert.Equal(0.0, FarthestPair.GreatestDistanceM([new GeoPoint(1, 2)]));
        Assert.Equal(0.0, FarthestPair.GreatestDistanceM([new GeoPoint(1, 2), new GeoPoint(1, 2)]));
    }

    private static double Pairwise(GeoPoint[] points)
    {
        var best = 0.0;
        for (var i = 0; i < points.Length; i++)
        {
            for (var j = i + 1; j < points.Length; j++)
            {
                best = Math.Max(best, Geodesic.Inverse(points[i], points[j]).DistanceM);
            }
        }

        return best;
    }
}
