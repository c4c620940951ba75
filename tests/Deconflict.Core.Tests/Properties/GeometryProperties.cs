using CsCheck;
using Deconflict.Core.Geometry;
using Deconflict.Core.Volumes;

namespace Deconflict.Core.Tests.Properties;

/// <summary>
/// Random pairs of volumes for the property tests: polygons (3 to 12 vertices, star-shaped about a
/// centre, so simple) and circles, 1 to 100 km in radius, anywhere between 70 S and 70 N, the second
/// 0 to 300 km from the first, so that about half the pairs conflict. A pair is kept as plain
/// numbers (<see cref="PairSpec"/>), so that it can be rebuilt shifted in longitude.
/// </summary>
internal static class GeometryProperties
{
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly GeometryLimits Limits = new();

    public static readonly Gen<ShapeSpec> Shape =
        from circle in Gen.Int[0, 3].Select(k => k == 0)
        from n in Gen.Int[3, 12]
        from radius in Gen.Double[1_000, 100_000]
        from turn in Gen.Double[0, 360]
        from gaps in Gen.Double[0.2, 1.0].Array[n]
        from scales in Gen.Double[0.3, 1.0].Array[n]
        from lower in Gen.Double[0, 9_000]
        from thickness in Gen.Double[10, 3_000]
        from startMin in Gen.Int[0, 240]
        from minutes in Gen.Int[1, 240]
        select new ShapeSpec(circle, radius, Azimuths(turn, gaps), scales, lower, lower + thickness, T0.AddMinutes(startMin), T0.AddMinutes(startMin + minutes));

    public static readonly Gen<PairSpec> Pair =
        from lat in Gen.Double[-70, 70]
        from lng in Gen.Double[-180, 180]
        from azimuth in Gen.Double[0, 360]
        from distance in Gen.Double[0, 300_000]
        from a in Shape
        from b in Shape
        select new PairSpec(new GeoPoint(lat, lng), azimuth, distance, a, b);

    /// <summary>Azimuths in increasing order, each gap a share of the full turn.</summary>
    private static double[] Azimuths(double turn, double[] gaps)
    {
        var total = gaps.Sum();
        var azimuths = new double[gaps.Length];
        var at = turn;
        for (var i = 0; i < gaps.Length; i++)
        {
            azimuths[i] = at;
            at += 360.0 * gaps[i] / total;
        }

        return azimuths;
    }

    /// <summary>The pair's two volumes, every longitude shifted by <paramref name="shiftDeg"/> (after the geodesic construction).</summary>
    public static (Volume4D A, Volume4D B) Build(PairSpec p, double shiftDeg = 0.0)
    {
        var centreB = Geodesic.Direct(p.Centre, p.AzimuthDeg, p.DistanceM);
        return (Build(p.A, p.Centre, shiftDeg), Build(p.B, centreB, shiftDeg));
    }

    private static Volume4D Build(ShapeSpec s, GeoPoint centre, double shiftDeg)
    {
        var outline = s.Circle
            ? OutlineFactory.Circle(Shift(centre, shiftDeg), s.RadiusM, Limits)
            : OutlineFactory.Polygon([.. s.AzimuthsDeg.Select((az, i) => Shift(Geodesic.Direct(centre, az, s.RadiusM * s.Scales[i]), shiftDeg))], Limits);
        return new Volume4D(outline.Outline ?? throw new InvalidOperationException(outline.Error), s.LowerM, s.UpperM, s.Start, s.End);
    }

    /// <summary>A point moved east by whole degrees of longitude: a rotation about the axis, under which the ellipsoid is symmetric.</summary>
    public static GeoPoint Shift(GeoPoint p, double shiftDeg)
    {
        if (shiftDeg == 0.0)
        {
            return p;
        }

        var lng = p.Lng + shiftDeg;
        // Wrapped into [-180, 180]; the subtraction can round a hair outside, which the clamp undoes.
        return new GeoPoint(p.Lat, Math.Clamp(lng - (360.0 * Math.Floor((lng + 180.0) / 360.0)), -180.0, 180.0));
    }
}
