namespace Deconflict.Core.Geometry;

/// <summary>
/// A solved geodesic between two points: its length in metres and the forward azimuths (degrees
/// clockwise from true north, in (-180, 180]) at the start and at the end.
/// </summary>
public readonly record struct GeodesicLine(double DistanceM, double InitialAzimuthDeg, double FinalAzimuthDeg);

/// <summary>
/// Geodesics (shortest paths) on the WGS-84 ellipsoid, by Vincenty's iterative formulas (Survey
/// Review 23(176), 1975), accurate to well under a millimetre.
/// </summary>
/// <remarks>
/// Hand-written because no geodesic library is available from the package feed this project
/// builds against (NetTopologySuite is planar only). Vincenty's inverse iteration does not
/// converge for nearly antipodal points; there the inverse falls back to a bracketed search for
/// the start azimuth (the longitude reached at the target latitude increases monotonically with
/// the azimuth in a canonical configuration, Karney 2013, J. Geodesy 87, section 4), which always
/// terminates. Neither method throws nor loops unboundedly.
/// </remarks>
public static class Geodesic
{
    // Vincenty's inverse converges linearly with ratio about f, so each iteration gains about
    // 2.5 digits; 1e-13 rad of longitude is 0.6 micrometres on the ground.
    private const double LambdaTolerance = 1e-13;
    private const int MaxInverseIterations = 60;

    // The direct iteration on sigma is a contraction with ratio about f e'^2 / 4; 1e-14 rad is
    // 0.06 micrometres.
    private const double SigmaTolerance = 1e-14;
    private const int MaxDirectIterations = 30;

    /// <summary>Solves the inverse problem: the shortest geodesic from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static GeodesicLine Inverse(GeoPoint from, GeoPoint to)
    {
        var (sinU1, cosU1) = Wgs84.ReducedLatitude(from.Lat);
        return Inverse(sinU1, cosU1, from.Lat, from.Lng, to);
    }

    /// <summary>
    /// Solves the direct problem: the point reached from <paramref name="from"/> after
    /// <paramref name="distanceM"/> metres along the geodesic leaving at <paramref name="azimuthDeg"/>
    /// (degrees clockwise from north). Longitude of the result is normalised to [-180, 180).
    /// </summary>
    public static GeoPoint Direct(GeoPoint from, double azimuthDeg, double distanceM)
    {
        var (sinU1, cosU1) = Wgs84.ReducedLatitude(from.Lat);
        return Direct(sinU1, cosU1, from.Lng, azimuthDeg, distanceM, out _);
    }

    /// <summary>As <see cref="Direct(GeoPoint, double, double)"/>, also returning the forward azimuth at the end (degrees).</summary>
    internal static GeoPoint Direct(GeoPoint from, double azimuthDeg, double distanceM, out double finalAzimuthDeg)
    {
        var (sinU1, cosU1) = Wgs84.ReducedLatitude(from.Lat);
        return Direct(sinU1, cosU1, from.Lng, azimuthDeg, distanceM, out finalAzimuthDeg);
    }

    /// <summary>Inverse with the start point's reduced latitude precomputed (a projection reuses it for every point).</summary>
    internal static GeodesicLine Inverse(double sinU1, double cosU1, double lat1, double lng1, GeoPoint to)
    {
        var l = Wgs84.NormalizeRad((to.Lng - lng1) * Wgs84.DegToRad);
        var (sinU2, cosU2) = Wgs84.ReducedLatitude(to.Lat);

        if (to.Lat == lat1 && l == 0.0)
        {
            return new GeodesicLine(0.0, 0.0, 0.0);
        }

        var lambda = l;
        double sinLambda, cosLambda, sinSigma, cosSigma, sigma, sinAlpha, cos2Alpha, cos2SigmaM;
        var iterations = 0;
        var converged = false;
        while (true)
        {
            sinLambda = Math.Sin(lambda);
            cosLambda = Math.Cos(lambda);
            var t1 = cosU2 * sinLambda;
            var t2 = (cosU1 * sinU2) - (sinU1 * cosU2 * cosLambda);
            sinSigma = Math.Sqrt((t1 * t1) + (t2 * t2));
            if (sinSigma == 0.0)
            {
                // Coincident points (after longitude normalisation, e.g. the same pole).
                return new GeodesicLine(0.0, 0.0, 0.0);
            }

            cosSigma = (sinU1 * sinU2) + (cosU1 * cosU2 * cosLambda);
            sigma = Math.Atan2(sinSigma, cosSigma);
            sinAlpha = cosU1 * cosU2 * sinLambda / sinSigma;
            cos2Alpha = 1.0 - (sinAlpha * sinAlpha);
            // On the equator cos^2(alpha) = 0 and the term vanishes (Vincenty's note).
            cos2SigmaM = cos2Alpha != 0.0 ? cosSigma - (2.0 * sinU1 * sinU2 / cos2Alpha) : 0.0;
            var c = Wgs84.F / 16.0 * cos2Alpha * (4.0 + (Wgs84.F * (4.0 - (3.0 * cos2Alpha))));
            var next = l + ((1.0 - c) * Wgs84.F * sinAlpha *
                (sigma + (c * sinSigma * (cos2SigmaM + (c * cosSigma * (-1.0 + (2.0 * cos2SigmaM * cos2SigmaM)))))));
            var delta = Math.Abs(next - lambda);
            lambda = next;
            if (Math.Abs(lambda) > Math.PI)
            {
                break;
            }

            if (delta < LambdaTolerance)
            {
                converged = true;
                break;
            }

            if (++iterations >= MaxInverseIterations)
            {
                break;
            }
        }

        if (!converged)
        {
            return InverseNearlyAntipodal(sinU1, cosU1, sinU2, cosU2, l);
        }

        var s = DistanceFromSigma(cos2Alpha, sigma, sinSigma, cosSigma, cos2SigmaM);
        var alpha1 = Math.Atan2(cosU2 * sinLambda, (cosU1 * sinU2) - (sinU1 * cosU2 * cosLambda));
        var alpha2 = Math.Atan2(cosU1 * sinLambda, (-sinU1 * cosU2) + (cosU1 * sinU2 * cosLambda));
        return new GeodesicLine(s, alpha1 * Wgs84.RadToDeg, alpha2 * Wgs84.RadToDeg);
    }

    /// <summary>Direct with the start point's reduced latitude precomputed.</summary>
    internal static GeoPoint Direct(double sinU1, double cosU1, double lng1, double azimuthDeg, double distanceM, out double finalAzimuthDeg)
    {
        var alpha1 = azimuthDeg * Wgs84.DegToRad;
        var sinAlpha1 = Math.Sin(alpha1);
        var cosAlpha1 = Math.Cos(alpha1);

        var sigma1 = Math.Atan2(sinU1, cosU1 * cosAlpha1);
        var sinAlpha = cosU1 * sinAlpha1;
        var cos2Alpha = 1.0 - (sinAlpha * sinAlpha);
        var u2 = cos2Alpha * Wgs84.Ep2;
        var a = 1.0 + (u2 / 16384.0 * (4096.0 + (u2 * (-768.0 + (u2 * (320.0 - (175.0 * u2)))))));
        var b = u2 / 1024.0 * (256.0 + (u2 * (-128.0 + (u2 * (74.0 - (47.0 * u2))))));

        var sigma0 = distanceM / (Wgs84.B * a);
        var sigma = sigma0;
        double sinSigma, cosSigma, cos2SigmaM;
        var iterations = 0;
        while (true)
        {
            cos2SigmaM = Math.Cos((2.0 * sigma1) + sigma);
            sinSigma = Math.Sin(sigma);
            cosSigma = Math.Cos(sigma);
            var deltaSigma = DeltaSigma(b, sinSigma, cosSigma, cos2SigmaM);
            var next = sigma0 + deltaSigma;
            var delta = Math.Abs(next - sigma);
            sigma = next;
            if (delta < SigmaTolerance || ++iterations >= MaxDirectIterations)
            {
                break;
            }
        }

        cos2SigmaM = Math.Cos((2.0 * sigma1) + sigma);
        sinSigma = Math.Sin(sigma);
        cosSigma = Math.Cos(sigma);

        var tmp = (sinU1 * sinSigma) - (cosU1 * cosSigma * cosAlpha1);
        var lat2 = Math.Atan2(
            (sinU1 * cosSigma) + (cosU1 * sinSigma * cosAlpha1),
            (1.0 - Wgs84.F) * Math.Sqrt((sinAlpha * sinAlpha) + (tmp * tmp)));
        var lambda = Math.Atan2(sinSigma * sinAlpha1, (cosU1 * cosSigma) - (sinU1 * sinSigma * cosAlpha1));
        var c = Wgs84.F / 16.0 * cos2Alpha * (4.0 + (Wgs84.F * (4.0 - (3.0 * cos2Alpha))));
        var l = lambda - ((1.0 - c) * Wgs84.F * sinAlpha *
            (sigma + (c * sinSigma * (cos2SigmaM + (c * cosSigma * (-1.0 + (2.0 * cos2SigmaM * cos2SigmaM)))))));
        finalAzimuthDeg = Math.Atan2(sinAlpha, -tmp) * Wgs84.RadToDeg;
        return new GeoPoint(lat2 * Wgs84.RadToDeg, Wgs84.NormalizeLng(lng1 + (l * Wgs84.RadToDeg)));
    }

    private static double DeltaSigma(double b, double sinSigma, double cosSigma, double cos2SigmaM)
    {
        var c2 = cos2SigmaM * cos2SigmaM;
        return b * sinSigma * (cos2SigmaM + (b / 4.0 * ((cosSigma * (-1.0 + (2.0 * c2))) -
            (b / 6.0 * cos2SigmaM * (-3.0 + (4.0 * sinSigma * sinSigma)) * (-3.0 + (4.0 * c2))))));
    }

    private static double DistanceFromSigma(double cos2Alpha, double sigma, double sinSigma, double cosSigma, double cos2SigmaM)
    {
        var u2 = cos2Alpha * Wgs84.Ep2;
        var a = 1.0 + (u2 / 16384.0 * (4096.0 + (u2 * (-768.0 + (u2 * (320.0 - (175.0 * u2)))))));
        var b = u2 / 1024.0 * (256.0 + (u2 * (-128.0 + (u2 * (74.0 - (47.0 * u2))))));
        return Wgs84.B * a * (sigma - DeltaSigma(b, sinSigma, cosSigma, cos2SigmaM));
    }

    /// <summary>
    /// The inverse problem where Vincenty's iteration fails (nearly antipodal points). The points
    /// are first put in a canonical configuration (longitude difference in [0, pi], point 1 the
    /// one farther from the equator, in the southern hemisphere); there the geodesic leaving
    /// point 1 at azimuth alpha1 in [0, pi] first crosses the latitude of point 2 going north at
    /// a longitude lambda(alpha1) that increases with alpha1, so bisection on alpha1 (a fixed 80
    /// halvings, reaching the resolution of a double) solves lambda(alpha1) = L. The longitude
    /// and distance integrals are Vincenty's series, which hold for any arc length.
    /// </summary>
    private static GeodesicLine InverseNearlyAntipodal(double sinU1, double cosU1, double sinU2, double cosU2, double l)
    {
        double lonSign = 1.0, swapSign = 1.0, latSign = 1.0;
        if (l < 0.0)
        {
            l = -l;
            lonSign = -1.0;
        }

        if (Math.Abs(sinU1) < Math.Abs(sinU2))
        {
            (sinU1, sinU2) = (sinU2, sinU1);
            (cosU1, cosU2) = (cosU2, cosU1);
            swapSign = -1.0;
            // Walking from point 2 to point 1 reverses the longitude difference; reflect it back.
            lonSign = -lonSign;
        }

        if (sinU1 > 0.0 || (sinU1 == 0.0 && sinU2 > 0.0))
        {
            sinU1 = -sinU1;
            sinU2 = -sinU2;
            latSign = -1.0;
        }

        // Signed zero matters on the equator: sin(beta1) = -0 makes sigma1 = -pi for southward starts.
        sinU1 = -Math.Abs(sinU1);

        var lo = 0.0;
        var hi = Math.PI;
        for (var i = 0; i < 80; i++)
        {
            var mid = 0.5 * (lo + hi);
            var lam = Canonical(mid, sinU1, cosU1, sinU2, cosU2).Lambda;
            if (lam < l)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        var alpha1 = 0.5 * (lo + hi);
        var r = Canonical(alpha1, sinU1, cosU1, sinU2, cosU2);
        var salp1 = Math.Sin(alpha1);
        var calp1 = Math.Cos(alpha1);
        var salp2 = r.SinAlpha2;
        var calp2 = r.CosAlpha2;
        if (swapSign < 0.0)
        {
            (salp1, salp2) = (salp2, salp1);
            (calp1, calp2) = (calp2, calp1);
        }

        salp1 *= swapSign * lonSign;
        salp2 *= swapSign * lonSign;
        calp1 *= swapSign * latSign;
        calp2 *= swapSign * latSign;
        return new GeodesicLine(r.Distance, Math.Atan2(salp1, calp1) * Wgs84.RadToDeg, Math.Atan2(salp2, calp2) * Wgs84.RadToDeg);
    }

    private static (double Lambda, double Distance, double SinAlpha2, double CosAlpha2) Canonical(
        double alpha1, double sinU1, double cosU1, double sinU2, double cosU2)
    {
        var salp1 = Math.Sin(alpha1);
        var calp1 = Math.Cos(alpha1);
        var sinAlpha0 = salp1 * cosU1;
        var cos2Alpha0 = 1.0 - (sinAlpha0 * sinAlpha0);
        var sigma1 = Math.Atan2(sinU1, calp1 * cosU1);
        var calp2 = cosU2 > 0.0
            ? Math.Sqrt(Math.Max(0.0, (calp1 * calp1 * cosU1 * cosU1) + ((cosU2 * cosU2) - (cosU1 * cosU1)))) / cosU2
            : 1.0;
        var salp2 = cosU2 > 0.0 ? sinAlpha0 / cosU2 : 0.0;
        var sigma2 = Math.Atan2(sinU2, calp2 * cosU2);
        var omega1 = Math.Atan2(sinAlpha0 * Math.Sin(sigma1), Math.Cos(sigma1));
        var omega2 = Math.Atan2(sinAlpha0 * Math.Sin(sigma2), Math.Cos(sigma2));
        var omega12 = omega2 - omega1;
        // omega grows with sigma; the true omega12 lies in [0, pi] up to the small f terms, so
        // fold it into [-pi/2, 3pi/2) to undo the atan2 branch cut.
        while (omega12 < -0.5 * Math.PI)
        {
            omega12 += 2.0 * Math.PI;
        }

        while (omega12 >= 1.5 * Math.PI)
        {
            omega12 -= 2.0 * Math.PI;
        }

        var sigma = sigma2 - sigma1;
        var sinSigma = Math.Sin(sigma);
        var cosSigma = Math.Cos(sigma);
        var cos2SigmaM = Math.Cos(sigma1 + sigma2);
        var c = Wgs84.F / 16.0 * cos2Alpha0 * (4.0 + (Wgs84.F * (4.0 - (3.0 * cos2Alpha0))));
        var lambda = omega12 - ((1.0 - c) * Wgs84.F * sinAlpha0 *
            (sigma + (c * sinSigma * (cos2SigmaM + (c * cosSigma * (-1.0 + (2.0 * cos2SigmaM * cos2SigmaM)))))));
        var distance = DistanceFromSigma(cos2Alpha0, sigma, sinSigma, cosSigma, cos2SigmaM);
        return (lambda, distance, salp2, calp2);
    }
}
