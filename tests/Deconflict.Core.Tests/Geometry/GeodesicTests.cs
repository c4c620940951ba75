using Deconflict.Core.Geometry;

namespace Deconflict.Core.Tests.Geometry;

public class GeodesicTests
{
    private const double A = 6378137.0;
    private const double F = 1.0 / 298.257223563;

    /// <summary>
    /// Published reference lines. Flinders Peak to Buninyong is Vincenty's own worked example
    /// (Survey Review 1975, as reproduced by Geoscience Australia): 54,972.271 m, azimuths 306 52'
    /// 05.37" and (reverse) 127 10' 25.07". The nearly antipodal lines are from Karney's
    /// GeographicLib test values: they make Vincenty's inverse iteration fail, so they exercise
    /// the fallback. Tolerance 1 mm (the values are given to the millimetre, or better).
    /// </summary>
    [Theory]
    [InlineData(-37.95103341666667, 144.42486788888889, -37.65282113888889, 143.92649552777777, 54972.271, -53.131840, 0.001)]
    [InlineData(0.0, 0.0, 0.5, 179.5, 19936288.578965314, double.NaN, 0.001)]
    [InlineData(0.0, 0.0, 0.5, 179.7, 19944127.420750458, 15.556883, 0.001)]
    [InlineData(0.0, 0.0, 0.0, 179.5, 19980861.908890963, double.NaN, 0.001)]
    [InlineData(0.0, 0.0, 0.0, 180.0, 20003931.458625447, double.NaN, 0.001)]
    [InlineData(30.0, 0.0, -30.0, 180.0, 20003931.458625447, double.NaN, 0.001)]
    [InlineData(90.0, 0.0, -90.0, 0.0, 20003931.458625447, double.NaN, 0.001)]
    public void Inverse_matches_published_reference_lines(double lat1, double lng1, double lat2, double lng2, double distanceM, double azimuthDeg, double toleranceM)
    {
        var line = Geodesic.Inverse(new GeoPoint(lat1, lng1), new GeoPoint(lat2, lng2));
        Assert.Equal(distanceM, line.DistanceM, toleranceM);
        if (!double.IsNaN(azimuthDeg))
        {
            Assert.Equal(azimuthDeg, line.InitialAzimuthDeg, 1e-6);
        }
    }

    [Fact]
    public void Flinders_Peak_final_azimuth_matches_Vincentys_example()
    {
        var line = Geodesic.Inverse(new GeoPoint(-37.95103341666667, 144.42486788888889), new GeoPoint(-37.65282113888889, 143.92649552777777));
        // Reverse azimuth 127 10' 25.07" means the forward azimuth at the end is 307 10' 25.07" = -52.826369 deg.
        Assert.Equal(127.0 + (10.0 / 60.0) + (25.07 / 3600.0) - 180.0, line.FinalAzimuthDeg, 1e-5);
    }

    /// <summary>
    /// Closed forms, derived independently of the solver: along the equator s = a * dLambda;
    /// a meridian quadrant is the integral of M(phi) = a (1 - e^2) / (1 - e^2 sin^2 phi)^1.5, here
    /// evaluated by composite Simpson's rule with 20,000 intervals (error far below 1e-6 m).
    /// </summary>
    [Theory]
    [InlineData(0.0, 10.0)]
    [InlineData(-170.0, 100.0)]
    [InlineData(179.0, 2.0)]
    public void Equatorial_distance_is_a_times_longitude_difference(double lng, double dLng)
    {
        var line = Geodesic.Inverse(new GeoPoint(0, lng), new GeoPoint(0, lng + dLng > 180 ? lng + dLng - 360 : lng + dLng));
        Assert.Equal(A * dLng * Math.PI / 180.0, line.DistanceM, 1e-4);
        Assert.Equal(90.0, line.InitialAzimuthDeg, 1e-9);
    }

    [Theory]
    [InlineData(0.0, 90.0)]
    [InlineData(-45.0, 45.0)]
    [InlineData(60.0, 89.5)]
    [InlineData(-89.0, -10.0)]
    public void Meridian_arc_matches_numerical_integral(double lat1, double lat2)
    {
        var line = Geodesic.Inverse(new GeoPoint(lat1, 33.0), new GeoPoint(lat2, 33.0));
        Assert.Equal(MeridianArc(lat1, lat2), line.DistanceM, 1e-4);
        Assert.Equal(0.0, line.InitialAzimuthDeg, 1e-9);
    }

    /// <summary>Round trip: Direct then Inverse recovers distance and azimuth to 0.1 mm and 1e-8 degrees.</summary>
    [Theory]
    [InlineData(35.4, 35.9, 37.0, 120_000.0)]
    [InlineData(0.0, 179.9, 90.0, 50_000.0)]
    [InlineData(0.0, -179.9, -90.0, 50_000.0)]
    [InlineData(-33.0, 151.0, 123.4, 9_000_000.0)]
    [InlineData(85.0, 10.0, 0.0, 500_000.0)]
    [InlineData(89.9, -120.0, 45.0, 30_000.0)]
    [InlineData(-89.5, 60.0, 200.0, 1_000_000.0)]
    [InlineData(10.0, 20.0, -135.0, 19_000_000.0)]
    public void Direct_then_inverse_round_trips(double lat, double lng, double azimuth, double distanceM)
    {
        var from = new GeoPoint(lat, lng);
        var to = Geodesic.Direct(from, azimuth, distanceM);
        Assert.InRange(to.Lng, -180.0, 180.0 - 1e-12);
        var back = Geodesic.Inverse(from, to);
        Assert.Equal(distanceM, back.DistanceM, 1e-4);
        var dAz = ((back.InitialAzimuthDeg - azimuth) % 360.0 + 540.0) % 360.0 - 180.0;
        Assert.Equal(0.0, dAz, 1e-8);
    }

    [Fact]
    public void Antimeridian_crossing_is_short()
    {
        var line = Geodesic.Inverse(new GeoPoint(10, 179.5), new GeoPoint(10, -179.5));
        // One degree of longitude at 10 N is about 109.6 km; the long way round would be 39,000 km.
        Assert.InRange(line.DistanceM, 109_000, 110_000);
        Assert.InRange(line.InitialAzimuthDeg, 89.0, 91.0);
        var p = Geodesic.Direct(new GeoPoint(10, 179.5), line.InitialAzimuthDeg, line.DistanceM);
        Assert.Equal(10.0, p.Lat, 1e-9);
        Assert.Equal(-179.5, p.Lng, 1e-9);
    }

    [Fact]
    public void Crossing_the_pole_along_a_meridian()
    {
        var line = Geodesic.Inverse(new GeoPoint(89.0, 0.0), new GeoPoint(89.0, 180.0));
        Assert.Equal(2 * MeridianArc(89.0, 90.0), line.DistanceM, 1e-4);
        Assert.Equal(0.0, line.InitialAzimuthDeg, 1e-9);
        Assert.Equal(180.0, Math.Abs(line.FinalAzimuthDeg), 1e-9);
    }

    [Fact]
    public void Coincident_points_give_zero()
    {
        Assert.Equal(0.0, Geodesic.Inverse(new GeoPoint(12.5, 45), new GeoPoint(12.5, 45)).DistanceM);
        Assert.Equal(0.0, Geodesic.Inverse(new GeoPoint(12.5, 180), new GeoPoint(12.5, -180)).DistanceM, 1e-6);
        Assert.Equal(0.0, Geodesic.Inverse(new GeoPoint(90, 10), new GeoPoint(90, -100)).DistanceM, 1e-6);
    }

    /// <summary>
    /// Nearly antipodal pairs, where Vincenty's iteration fails: the fallback must return a line
    /// that reaches the target (Direct along it lands within 1 mm) and is no longer than either
    /// route over a pole (a meridian path), for many random pairs, without throwing.
    /// </summary>
    [Fact]
    public void Nearly_antipodal_pairs_are_solved_and_reach_the_target()
    {
        var rnd = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var from = new GeoPoint((rnd.NextDouble() * 2.0) - 1.0, (rnd.NextDouble() * 360.0) - 180.0);
            var to = new GeoPoint(-from.Lat + ((rnd.NextDouble() - 0.5) * 1.0), from.Lng + 180.0 - ((rnd.NextDouble() - 0.5) * 1.0));
            to = to with { Lng = to.Lng >= 180 ? to.Lng - 360 : to.Lng };
            var line = Geodesic.Inverse(from, to);
            var reached = Geodesic.Direct(from, line.InitialAzimuthDeg, line.DistanceM);
            Assert.True(Geodesic.Inverse(reached, to).DistanceM < 1e-3, $"pair {i}: {from} -> {to} missed by {Geodesic.Inverse(reached, to).DistanceM} m");
            var overNorth = MeridianArc(from.Lat, 90.0) + MeridianArc(to.Lat, 90.0);
            var overSouth = MeridianArc(-90.0, from.Lat) + MeridianArc(-90.0, to.Lat);
            Assert.True(line.DistanceM <= Math.Min(overNorth, overSouth) + 1e-3);
        }
    }

    private static double MeridianArc(double lat1, double lat2)
    {
        var e2 = F * (2 - F);
        const int n = 20_000;
        var a = lat1 * Math.PI / 180.0;
        var b = lat2 * Math.PI / 180.0;
        var h = (b - a) / n;
        double M(double phi)
        {
            var s = Math.Sin(phi);
            return A * (1 - e2) / Math.Pow(1 - (e2 * s * s), 1.5);
        }

        var sum = M(a) + M(b);
        for (var i = 1; i < n; i++)
        {
            sum += M(a + (i * h)) * (i % 2 == 0 ? 2 : 4);
        }

        return Math.Abs(sum * h / 3.0);
    }
}
