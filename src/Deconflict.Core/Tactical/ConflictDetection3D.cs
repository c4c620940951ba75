namespace Deconflict.Core.Tactical;

/// <summary>A 3D vector in a local east-north-up frame: metres, or metres per second.</summary>
public readonly record struct Enu(double East, double North, double Up)
{
    public static Enu operator -(Enu a, Enu b) => new(a.East - b.East, a.North - b.North, a.Up - b.Up);
}

/// <summary>
/// What state-based prediction says about a pair of aircraft: whether they lose separation within
/// the look-ahead, when (<see cref="TimeIn"/>, <see cref="TimeOut"/>, seconds from now, half-open as
/// the cylinder is open), and their horizontal and vertical distances at the time of horizontal
/// closest approach within the look-ahead (<see cref="CpaTime"/>; see <see cref="ConflictDetection3D"/>
/// for how it differs from DAIDALUS's cylindrical CPA).
/// </summary>
public readonly record struct Encounter(bool Conflict, double TimeIn, double TimeOut, double CpaTime, double CpaHorizontalM, double CpaVerticalM)
{
    /// <summary>Inside the cylinder now.</summary>
    public bool LossNow => Conflict && TimeIn <= 0.0;
}

/// <summary>
/// Conflict detection against the cylinder of NASA DAIDALUS's CD3D, written from its published
/// mathematics: two aircraft are in loss of separation when their horizontal distance is less than
/// D and their vertical distance less than H (both strict: an open cylinder). With linear motion
/// of the relative position s + t v, the horizontal loss is the open interval between the roots of
/// |s_h + t v_h|^2 = D^2, the vertical one that between (-H - s_z) / v_z and (H - s_z) / v_z;
/// their intersection with [0, T] is the conflict. O(1) per pair, no allocation.
/// </summary>
/// <remarks>
/// <para>
/// Checked against DAIDALUS v2.0.4 (nasa/daidalus e0439250, C++/src/CD3D.cpp, <c>CD3D::detection</c>
/// with B = 0) in the tests: same conflict decision and the same time in and time out (to 1e-9 s),
/// including its boundary rules: tangent to the circle (discriminant 0) or grazing the band
/// (|s_z| = H) is no conflict; an entry at exactly T is no conflict, as the interval is truncated to
/// [0, T] and must be non-empty; zero relative velocity is a conflict for the whole look-ahead if
/// strictly inside now, else none. The discriminant is formed as CD3D's
/// Delta = D^2 |v_h|^2 - (s_h x v_h)^2, which does not cancel for distant pairs as b^2 - 4ac does.
/// </para>
/// <para>
/// Deliberate differences: (1) CD3D treats velocities and altitudes within about 1e-13 of each other
/// as equal (<c>Util::almost_equals</c>) and needs time in to be "almost less" than time out; we
/// compare exactly, which changes nothing but encounters within rounding of a boundary. (2) The
/// closest approach we report is the horizontal one, the time in [0, T] minimising |s_h + t v_h|,
/// with the horizontal and vertical distances at that time, because that is what an alert shows a
/// duty officer (a miss distance in metres and the height difference there). CD3D's
/// <c>tccpa</c> instead minimises the unitless cylindrical norm max(|s_h| / D, |s_z| / H); the two
/// agree for level encounters whose horizontal term dominates at the CPA, and differ when the
/// vertical motion matters (a climb through the other's level while crossing). When there is no
/// horizontal relative motion every time is a horizontal CPA, and we choose the time of equal
/// altitude (clamped to [0, T]), as CD3D's <c>tccpa</c> does, not the present.
/// </para>
/// </remarks>
public static class ConflictDetection3D
{
    /// <summary>
    /// Detects the conflict of the ownship (<paramref name="ownPosition"/>) with an intruder (<paramref name="intruderPosition"/>)
    /// (positions in a common local frame, metres; velocities in metres per second) within
    /// <paramref name="lookaheadS"/> seconds.
    /// </summary>
    public static Encounter Detect(Enu ownPosition, Enu ownVelocity, Enu intruderPosition, Enu intruderVelocity, double horizontalM, double verticalM, double lookaheadS)
    {
        if (!(horizontalM > 0.0) || !(verticalM > 0.0) || !(lookaheadS >= 0.0))
        {
            throw new ArgumentOutOfRangeException(nameof(horizontalM), "D and H must be positive and the look-ahead non-negative.");
        }

        var s = ownPosition - intruderPosition;
        var v = ownVelocity - intruderVelocity;

        // Horizontal: a t^2 + 2 b t + c < 0 with a = |v_h|^2, b = s_h.v_h, c = |s_h|^2 - D^2; the
        // quarter discriminant b^2 - a c equals D^2 a - (s_h x v_h)^2, CD3D's Delta, which is formed
        // here directly because it has no cancellation between two large squares.
        var a = (v.East * v.East) + (v.North * v.North);
        var b = (s.East * v.East) + (s.North * v.North);
        var c = (s.East * s.East) + (s.North * s.North) - (horizontalM * horizontalM);
        double hIn, hOut;
        if (a == 0.0)
        {
            (hIn, hOut) = c < 0.0 ? (double.NegativeInfinity, double.PositiveInfinity) : (double.NaN, double.NaN);
        }
        else
        {
            var cross = (s.East * v.North) - (s.North * v.East);
            var delta = (horizontalM * horizontalM * a) - (cross * cross);
            if (delta <= 0.0)
            {
                // Never strictly inside (at most tangent to the circle).
                (hIn, hOut) = (double.NaN, double.NaN);
            }
            else
            {
                // The numerically stable pair of roots (no cancellation between -b and the root):
                // q = -(b + sign(b) sqrt(delta)), roots q / a and c / q.
                var q = -(b + ((b < 0.0 ? -1.0 : 1.0) * Math.Sqrt(delta)));
                var r1 = q / a;
                var r2 = c / q;
                (hIn, hOut) = r1 < r2 ? (r1, r2) : (r2, r1);
            }
        }

        // Vertical: |s_z + t v_z| < H.
        double vIn, vOut;
        if (v.Up == 0.0)
        {
            (vIn, vOut) = Math.Abs(s.Up) < verticalM ? (double.NegativeInfinity, double.PositiveInfinity) : (double.NaN, double.NaN);
        }
        else
        {
            var t1 = (-verticalM - s.Up) / v.Up;
            var t2 = (verticalM - s.Up) / v.Up;
            (vIn, vOut) = t1 < t2 ? (t1, t2) : (t2, t1);
        }

        // Horizontal CPA clamped to the look-ahead; with no horizontal relative motion, the time of
        // equal altitude (or now, if the vertical distance does not change either).
        var cpa = a != 0.0 ? Math.Clamp(-b / a, 0.0, lookaheadS)
            : v.Up != 0.0 ? Math.Clamp(-s.Up / v.Up, 0.0, lookaheadS)
            : 0.0;
        var cpaH = Math.Sqrt(Square(s.East + (cpa * v.East)) + Square(s.North + (cpa * v.North)));
        var cpaV = Math.Abs(s.Up + (cpa * v.Up));
        if (double.IsNaN(hIn) || double.IsNaN(vIn))
        {
            return new Encounter(false, double.NaN, double.NaN, cpa, cpaH, cpaV);
        }

        var timeIn = Math.Max(0.0, Math.Max(hIn, vIn));
        var timeOut = Math.Min(lookaheadS, Math.Min(hOut, vOut));
        return timeIn < timeOut
            ? new Encounter(true, timeIn, timeOut, cpa, cpaH, cpaV)
            : new Encounter(false, double.NaN, double.NaN, cpa, cpaH, cpaV);
    }

    private static double Square(double x) => x * x;
}
