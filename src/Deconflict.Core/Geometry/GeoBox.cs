namespace Deconflict.Core.Geometry;

/// <summary>
/// A latitude/longitude box in degrees, closed on all sides. South &lt;= North; West and East are in
/// [-180, 180], and <c>West &gt; East</c> means the box crosses the antimeridian (it covers
/// [West, 180] and [-180, East]). The box of all longitudes is West = -180, East = 180.
/// </summary>
public readonly record struct GeoBox(double South, double West, double North, double East)
{
    /// <summary>True when the box crosses the antimeridian (West &gt; East).</summary>
    public bool CrossesAntimeridian => West > East;

    /// <summary>Width in degrees of longitude, in [0, 360].</summary>
    public double WidthDeg => West <= East ? East - West : East - West + 360.0;

    /// <summary>True when the box covers every longitude.</summary>
    public bool CoversAllLongitudes => WidthDeg >= 360.0;

    /// <summary>
    /// The box grown by at least <paramref name="metres"/> of geodesic distance in every direction:
    /// every point within that distance of a point of this box is inside the result.
    /// </summary>
    /// <remarks>
    /// Latitude grows by metres / (metres per degree of latitude at the equator, where it is
    /// smallest); a box that then reaches a pole is clamped to +/-90 and widened to every
    /// longitude (near a pole any longitude is within reach). Longitude grows by
    /// metres / (a cos(phi)) radians where phi is the most poleward latitude of the grown box: a
    /// path of that length stays in the grown latitude band, and along it d(lambda) = ds sin(alpha)
    /// / (N cos(phi)) with N &gt;= a. A box that reaches 360 degrees of width covers every longitude.
    /// Negative or non-finite distances are treated as 0.
    /// </remarks>
    public GeoBox Expand(double metres)
    {
        if (!(metres > 0.0) || double.IsInfinity(metres))
        {
            return double.IsPositiveInfinity(metres) ? new GeoBox(-90.0, -180.0, 90.0, 180.0) : this;
        }

        var dLat = metres / Wgs84.MinMetresPerDegreeLat;
        var south = South - dLat;
        var north = North + dLat;
        if (south <= -90.0 || north >= 90.0)
        {
            return new GeoBox(Math.Max(-90.0, south), -180.0, Math.Min(90.0, north), 180.0);
        }

        if (CoversAllLongitudes)
        {
            return new GeoBox(south, -180.0, north, 180.0);
        }

        var phi = Math.Max(Math.Abs(south), Math.Abs(north)) * Wgs84.DegToRad;
        var dLng = metres / (Wgs84.A * Math.Cos(phi)) * Wgs84.RadToDeg;
        var width = WidthDeg + (2.0 * dLng);
        if (!(width < 360.0))
        {
            return new GeoBox(south, -180.0, north, 180.0);
        }

        return new GeoBox(south, NormalizeWest(West - dLng), north, NormalizeEast(East + dLng));
    }

    /// <summary>The box's longitudes as one range, or two split at the antimeridian ([West, 180] and [-180, East]).</summary>
    public IReadOnlyList<(double West, double East)> LongitudeRanges() =>
        CrossesAntimeridian ? [(West, 180.0), (-180.0, East)] : [(West, East)];

    /// <summary>True when the boxes share at least one point (edges included).</summary>
    public bool Intersects(GeoBox other)
    {
        if (South > other.North || other.South > North)
        {
            return false;
        }

        if (CoversAllLongitudes || other.CoversAllLongitudes)
        {
            return true;
        }

        // Compare each box's one or two plain ranges without allocating.
        Split(this, out var a1, out var a2, out var aTwo);
        Split(other, out var b1, out var b2, out var bTwo);
        return Overlap(a1, b1) || (bTwo && Overlap(a1, b2)) || (aTwo && (Overlap(a2, b1) || (bTwo && Overlap(a2, b2))));
    }

    /// <summary>A longitude as a western edge: in [-180, 180).</summary>
    internal static double NormalizeWest(double lng) => Wgs84.NormalizeLng(lng);

    /// <summary>A longitude as an eastern edge: in (-180, 180], so that a box ending at the antimeridian does not read as crossing it.</summary>
    internal static double NormalizeEast(double lng)
    {
        var r = Wgs84.NormalizeLng(lng);
        return r == -180.0 ? 180.0 : r;
    }

    private static void Split(GeoBox box, out (double W, double E) first, out (double W, double E) second, out bool two)
    {
        if (box.CrossesAntimeridian)
        {
            first = (box.West, 180.0);
            second = (-180.0, box.East);
            two = true;
        }
        else
        {
            first = (box.West, box.East);
            second = default;
            two = false;
        }
    }

    private static bool Overlap((double W, double E) a, (double W, double E) b) => a.W <= b.E && b.W <= a.E;
}
