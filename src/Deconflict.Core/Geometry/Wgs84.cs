namespace Deconflict.Core.Geometry;

/// <summary>
/// The WGS-84 ellipsoid and the small angle helpers every geometry class shares. Angles in the
/// public API are degrees; everything inside is radians.
/// </summary>
internal static class Wgs84
{
    /// <summary>Semi-major axis (metres).</summary>
    public const double A = 6378137.0;

    /// <summary>Flattening.</summary>
    public const double F = 1.0 / 298.257223563;

    /// <summary>Semi-minor axis b = a (1 - f) (metres).</summary>
    public const double B = A * (1.0 - F);

    /// <summary>First eccentricity squared e^2 = f (2 - f).</summary>
    public const double E2 = F * (2.0 - F);

    /// <summary>Second eccentricity squared e'^2 = (a^2 - b^2) / b^2.</summary>
    public const double Ep2 = E2 / (1.0 - E2);

    /// <summary>
    /// Metres per degree of latitude at the equator, where a degree of latitude is shortest
    /// (meridional radius of curvature a (1 - e^2)); dividing a distance by it over-estimates the
    /// latitude change, which is the conservative direction for bounding boxes.
    /// </summary>
    public const double MinMetresPerDegreeLat = A * (1.0 - E2) * Math.PI / 180.0;

    public const double DegToRad = Math.PI / 180.0;
    public const double RadToDeg = 180.0 / Math.PI;

    /// <summary>Longitude in degrees normalised to [-180, 180).</summary>
    public static double NormalizeLng(double lngDeg)
    {
        if (lngDeg >= -180.0 && lngDeg < 180.0)
        {
            return lngDeg;
        }

        var r = Math.IEEERemainder(lngDeg, 360.0);
        if (r >= 180.0)
        {
            r -= 360.0;
        }
        else if (r < -180.0)
        {
            r += 360.0;
        }

        return r;
    }

    /// <summary>Angle in radians normalised to (-pi, pi].</summary>
    public static double NormalizeRad(double rad)
    {
        if (rad > -Math.PI && rad <= Math.PI)
        {
            return rad;
        }

        var r = Math.IEEERemainder(rad, 2.0 * Math.PI);
        if (r <= -Math.PI)
        {
            r += 2.0 * Math.PI;
        }
        else if (r > Math.PI)
        {
            r -= 2.0 * Math.PI;
        }

        return r;
    }

    /// <summary>
    /// Sine and cosine of the reduced (parametric) latitude beta, tan(beta) = (1 - f) tan(phi),
    /// computed from sin/cos of phi so that the poles need no special case.
    /// </summary>
    public static (double Sin, double Cos) ReducedLatitude(double latDeg)
    {
        var phi = latDeg * DegToRad;
        var s = (1.0 - F) * Math.Sin(phi);
        var c = Math.Cos(phi);
        var h = Math.Sqrt((s * s) + (c * c));
        return (s / h, c / h);
    }

    /// <summary>
    /// Unit vector of a point on the auxiliary sphere of reduced latitude, at its true longitude.
    /// The angle theta between two such vectors satisfies b * theta &lt;= geodesic distance
    /// (Bessel's auxiliary sphere: ds &gt;= b d(sigma), and theta &lt;= sigma because the
    /// longitude on the ellipsoid lags the longitude on the auxiliary sphere), so it gives cheap
    /// conservative lower bounds of distances; conversely geodesic distance &lt;= a * sigma &lt;=
    /// a * theta / (1 - f), so a * 1.01 * theta is a safe upper bound.
    /// </summary>
    public static Vec3 ReducedUnitVector(GeoPoint p)
    {
        var (sb, cb) = ReducedLatitude(p.Lat);
        var lam = p.Lng * DegToRad;
        return new Vec3(cb * Math.Cos(lam), cb * Math.Sin(lam), sb);
    }
}

/// <summary>A small 3D vector, used for unit vectors on the auxiliary sphere.</summary>
internal readonly record struct Vec3(double X, double Y, double Z)
{
    public double Dot(in Vec3 o) => (X * o.X) + (Y * o.Y) + (Z * o.Z);

    /// <summary>Angle in radians between two unit vectors, accurate for small angles too (atan2 of cross and dot).</summary>
    public double AngleTo(in Vec3 o)
    {
        var cx = (Y * o.Z) - (Z * o.Y);
        var cy = (Z * o.X) - (X * o.Z);
        var cz = (X * o.Y) - (Y * o.X);
        return Math.Atan2(Math.Sqrt((cx * cx) + (cy * cy) + (cz * cz)), Dot(o));
    }
}
