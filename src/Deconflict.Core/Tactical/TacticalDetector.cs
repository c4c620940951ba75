using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Deconflict.Core.Geometry;

namespace Deconflict.Core.Tactical;

/// <summary>
/// A track's latest state: where and when it was reported, its altitude (metres above the WGS-84
/// ellipsoid) and its velocity in its own local east-north-up frame (metres per second).
/// </summary>
public sealed record TrackState(string Party, string Id, DateTimeOffset Time, double Lat, double Lng, double AltitudeM, Enu Velocity);

/// <summary>A predicted loss of separation between tracks A and B (indexes into the cycle's tracks, A &lt; B).</summary>
public readonly record struct TrackConflict(int A, int B, Encounter Encounter);

/// <summary>
/// One detection cycle over every pair of tracks of different parties (same-party pairs optional):
/// each track is extrapolated linearly to the cycle's time, each candidate pair is put in the
/// ownship's local tangent plane (east and north through earth-centred coordinates, so it is right at
/// any latitude and across the antimeridian; the vertical is the altitude difference, not the plane's
/// up, which would drop by d^2 / 2R with distance) and tested with <see cref="ConflictDetection3D"/>.
/// </summary>
/// <remarks>
/// <para>
/// Broad phase: swept boxes in earth-centred, earth-fixed (ECEF) coordinates, so nothing depends on
/// longitude or latitude and the antimeridian and the poles need no case. Each track's box is the
/// axis-aligned box of the straight ECEF segment it moves along during the look-ahead, inflated by
/// its share of the horizontal minimum plus a bound on the tangent-plane-versus-chord difference
/// (see <see cref="Inflation"/>), with its altitude interval over the look-ahead inflated by H / 2.
/// Every pair the narrow phase accepts has overlapping boxes and altitude intervals (proof at
/// <see cref="Inflation"/>) and comes within the sum of the two inflations in ECEF at some time of
/// the look-ahead (the closest-approach filter, <see cref="Cycle.MayMeet"/>); the party check comes
/// first. Only then does the narrow phase run.
/// </para>
/// <para>
/// The boxes are binned in a uniform grid of cubic cells of side the 99th percentile box size
/// (about D + v T for this cycle's look-ahead and speeds: 36.6 km in the benchmark, 120 s), each box
/// in every cell it covers (at most 4 per axis). A radix sort of (cell, box) entries by cell puts
/// every cell's boxes next to each other. A pair of boxes is tested only in the one cell holding the
/// lower corner of their overlap (the "reference point" rule), so no pair is found twice; the sort
/// key carries which axes a box starts on in that cell, so the incompatible groups are never
/// visited. Large cycles use all cores, each worker with its own result list, merged and sorted by
/// (A, B) at the end. Boxes too large for the grid (more than 4 cells on an axis) are tested against
/// every box; tracks with non-finite numbers or absurd travel get the narrow phase against every
/// track, so the guarantee needs no argument about them.
/// </para>
/// <para>
/// Cost: O(n) to prepare, O(E) to bin and radix-sort the E = O(n) entries (3.3 per track in the
/// benchmark), the box pairs sharing a cell (O(n) at bounded density: a box meets a bounded number of
/// others; 80 per track at 100,000 tracks in the benchmark), the narrow phase on the pairs that pass
/// every filter, and O(m log m) for m conflicts. Plus O(n) per large box or unusable track.
/// </para>
/// <para>
/// The narrow phase is the reference's, on the same inputs, so the conflicts and their
/// <see cref="Encounter"/> values are bit-for-bit those of <see cref="DetectAllPairs"/>. (The narrow
/// phase refuses pairs that cannot close their gap within the look-ahead, so the tangent plane never
/// folds a near-antipodal aircraft onto the ownship in either detector.)
/// </para>
/// </remarks>
public static class TacticalDetector
{
    /// <summary>
    /// The smallest radius of curvature of the WGS-84 ellipsoid, a (1 - e^2) = 6,335,439 m (the
    /// meridian at the equator). Every normal curvature is at most 1 / RhoMin.
    /// </summary>
    private const double RhoMin = Wgs84.A * (1.0 - Wgs84.E2);

    /// <summary>1 / RhoMin rounded up, so multiplying by it does not under-estimate.</summary>
    private static readonly double InverseRhoMin = Math.BitIncrement(1.0 / RhoMin);

    /// <summary>
    /// A track whose D + 2 x travel exceeds this (about 1,584 km; travel is speed x (|report age| + T),
    /// so at 250 m/s a report about 50 minutes old) is outside the range the chord bound was worked
    /// out for (far below RhoMin); it gets the exact test against every track instead of a box.
    /// </summary>
    private const double MaxReach = RhoMin / 4.0;

    /// <summary>
    /// Metres added to every box half-size and altitude half-interval for floating-point rounding: the
    /// rounding of positions near 6.4e6 m in double is about 1e-9 m, and of the narrow phase's
    /// roots about 1e-6 m near the boundary; a metre is far above both and costs nothing measurable.
    /// </summary>
    private const double Slack = 1.0;

    /// <summary>
    /// Metres added to the closest-approach filter's reach for its float positions (at most 0.25 m
    /// a coordinate near the earth's radius, 0.87 m in distance, for each of the two tracks) and the
    /// error of locating the closest time in double (far below a millimetre).
    /// </summary>
    private const double FloatSlack = 2.0;

    /// <summary>A box covering more cells than this on an axis is tested against every box instead.</summary>
    private const int MaxCellsPerAxis = 4;

    /// <summary>
    /// Below this many tracks the cycle runs on the calling thread: it takes a few milliseconds, and
    /// each parallel phase ends by waiting for the slowest worker, which on a busy machine can be
    /// a whole scheduler time slice (measured at 10,000 tracks: 4 ms alone, 5 to 12 ms on 2 cores).
    /// </summary>
    private const int ParallelThreshold = 16_384;

    /// <summary>The grid detector.</summary>
    public static List<TrackConflict> Detect(IReadOnlyList<TrackState> tracks, DateTimeOffset now, double horizontalM, double verticalM, double lookaheadS, bool sameParty = false)
    {
        CheckParameters(horizontalM, verticalM, lookaheadS);
        if (!double.IsFinite(horizontalM) || !double.IsFinite(verticalM) || !double.IsFinite(lookaheadS))
        {
            // No finite box bounds an infinite minimum or look-ahead.
            return DetectAllPairs(tracks, now, horizontalM, verticalM, lookaheadS, sameParty);
        }

        var n = tracks.Count;
        if (n < 2)
        {
            return [];
        }

        var cycle = new Cycle(tracks, now, horizontalM, verticalM, lookaheadS, sameParty, n >= ParallelThreshold && Environment.ProcessorCount > 1);
        return cycle.Run();
    }

    /// <summary>The all-pairs reference: the same test on every pair. O(n^2).</summary>
    public static List<TrackConflict> DetectAllPairs(IReadOnlyList<TrackState> tracks, DateTimeOffset now, double horizontalM, double verticalM, double lookaheadS, bool sameParty = false)
    {
        var states = Prepare(tracks, now);
        var found = new List<TrackConflict>();
        for (var i = 0; i < states.Length; i++)
        {
            for (var j = i + 1; j < states.Length; j++)
            {
                if (Test(tracks, states, i, j, horizontalM, verticalM, lookaheadS, sameParty) is { } conflict)
                {
                    found.Add(conflict);
                }
            }
        }

        return found;
    }

    /// <summary>
    /// Seconds from <paramref name="now"/> to the pair's closest point of approach, 0 when it is not
    /// ahead (at or behind now: the distance is not shrinking). Both tracks are extrapolated and put
    /// in <paramref name="own"/>'s tangent plane as in the narrow phase, and the closest approach is
    /// the one <see cref="ConflictDetection3D"/> reports (horizontal; with no horizontal relative
    /// motion, the time of equal altitude), without its look-ahead bound. O(1).
    /// </summary>
    public static double TimeToClosestApproach(TrackState own, TrackState other, DateTimeOffset now)
    {
        var o = PrepareOne(own, now);
        var i = PrepareOne(other, now);
        var d = i.Ecef - o.Ecef;
        var w = i.VelocityEcef - o.VelocityEcef;
        double sx = d.Dot(o.East), sy = d.Dot(o.North), sz = i.AltitudeM - o.AltitudeM;
        double vx = w.Dot(o.East), vy = w.Dot(o.North), vz = i.VerticalRate - o.VerticalRate;
        var a = (vx * vx) + (vy * vy);
        var t = a != 0.0 ? -((sx * vx) + (sy * vy)) / a
            : vz != 0.0 ? -sz / vz
            : 0.0;
        return Math.Max(0.0, t);
    }

    private static void CheckParameters(double horizontalM, double verticalM, double lookaheadS)
    {
        // The same rule as ConflictDetection3D, checked once before the grid is sized from them.
        if (!(horizontalM > 0.0) || !(verticalM > 0.0) || !(lookaheadS >= 0.0))
        {
            throw new ArgumentOutOfRangeException(nameof(horizontalM), "D and H must be positive and the look-ahead non-negative.");
        }
    }

    private readonly record struct State(Vec3d Ecef, Vec3d VelocityEcef, double AltitudeM, double VerticalRate, Vec3d East, Vec3d North);

    private readonly record struct Vec3d(double X, double Y, double Z)
    {
        public static Vec3d operator -(Vec3d a, Vec3d b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

        public static Vec3d operator +(Vec3d a, Vec3d b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

        public static Vec3d operator *(Vec3d a, double k) => new(a.X * k, a.Y * k, a.Z * k);

        public double Dot(Vec3d o) => (X * o.X) + (Y * o.Y) + (Z * o.Z);
    }

    /// <summary>
    /// A track's entry in the grid, 68 bytes, so a cell's entries sit in a few cache lines and the
    /// pair loop reads nothing else until a pair passes both filters.
    /// The swept box as 8 floats (ECEF metres and altitude metres, rounded outwards from double): the
    /// upper corner (x1, y1, z1, alt1) then the negated lower corner (-x0, -y0, -z0, -alt0). With
    /// q = (x0, y0, z0, alt0, -x1, -y1, -z1, -alt1) of another box, the two overlap (closed) exactly
    /// when q &lt;= this lane by lane: one 8-lane comparison per pair.
    /// Then the ECEF position at the cycle's time and velocity as floats, and the reach: the box's
    /// inflation plus the rounding of those floats, for the closest-approach filter.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Entry
    {
        public float X1, Y1, Z1, A1, NegX0, NegY0, NegZ0, NegA0;
        public float Px, Py, Pz, Vx, Vy, Vz, Reach;
        public int Index;
        public int Party;

        /// <summary>The first 8 floats in one load.</summary>
        public static Vector256<float> Box(ref Entry e) => Vector256.LoadUnsafe(ref Unsafe.As<Entry, float>(ref e));

        /// <summary>The lower corner, then the negated upper corner: the q of the comparison above.</summary>
        public readonly Vector256<float> Query => Vector256.Create(-NegX0, -NegY0, -NegZ0, -NegA0, -X1, -Y1, -Z1, -A1);
    }

    private static State[] Prepare(IReadOnlyList<TrackState> tracks, DateTimeOffset now)
    {
        var states = new State[tracks.Count];
        for (var i = 0; i < tracks.Count; i++)
        {
            states[i] = PrepareOne(tracks[i], now);
        }

        return states;
    }

    private static State PrepareOne(TrackState t, DateTimeOffset now)
    {
        var lat = t.Lat * Wgs84.DegToRad;
        var lng = t.Lng * Wgs84.DegToRad;
        var (sinLat, cosLat) = Math.SinCos(lat);
        var (sinLng, cosLng) = Math.SinCos(lng);
        var n = Wgs84.A / Math.Sqrt(1.0 - (Wgs84.E2 * sinLat * sinLat));
        // The point on the ellipsoid below the aircraft: horizontal distances are measured on
        // the surface, as the strategic side measures them (at 9 km altitude the distance
        // along the flight level is 0.14% longer), and altitude is kept on its own.
        var ecef = new Vec3d(n * cosLat * cosLng, n * cosLat * sinLng, n * (1.0 - Wgs84.E2) * sinLat);
        var east = new Vec3d(-sinLng, cosLng, 0.0);
        var north = new Vec3d(-sinLat * cosLng, -sinLat * sinLng, cosLat);
        var horizontal = (east * t.Velocity.East) + (north * t.Velocity.North);
        var dt = (now - t.Time).TotalSeconds;

        // Linear extrapolation to the cycle's time: horizontally along the tangent plane (the
        // error is d^2 / 2R vertically, absorbed because altitude is tracked on its own).
        return new State(ecef + (horizontal * dt), horizontal, t.AltitudeM + (t.Velocity.Up * dt), t.Velocity.Up, east, north);
    }

    private static TrackConflict? Test(IReadOnlyList<TrackState> tracks, State[] states, int i, int j, double horizontalM, double verticalM, double lookaheadS, bool sameParty)
    {
        if (!sameParty && tracks[i].Party == tracks[j].Party)
        {
            return null;
        }

        return Narrow(states, i, j, horizontalM, verticalM, lookaheadS);
    }

    /// <summary>The narrow phase for i &lt; j: track i is the ownship. Both detectors call exactly this.</summary>
    private static TrackConflict? Narrow(State[] states, int i, int j, double horizontalM, double verticalM, double lookaheadS)
    {
        var own = states[i];
        var other = states[j];
        var d = other.Ecef - own.Ecef;

        // Aircraft that cannot close the gap within the look-ahead are no conflict. Besides saving
        // the projection, this keeps the tangent plane from folding the far side of the earth onto
        // the ownship (antipodes would land on it). It never drops a real conflict: the chord
        // shrinks by at most the sum of the speeds times t, and surface points within D
        // horizontally are within D by chord too (a chord is shorter than its arc).
        var reach = horizontalM + ((Math.Sqrt(own.VelocityEcef.Dot(own.VelocityEcef)) + Math.Sqrt(other.VelocityEcef.Dot(other.VelocityEcef))) * lookaheadS);
        if (d.Dot(d) >= reach * reach)
        {
            return null;
        }

        var intruder = new Enu(d.Dot(own.East), d.Dot(own.North), other.AltitudeM - own.AltitudeM);
        var intruderVelocity = new Enu(other.VelocityEcef.Dot(own.East), other.VelocityEcef.Dot(own.North), other.VerticalRate);
        var ownVelocity = new Enu(own.VelocityEcef.Dot(own.East), own.VelocityEcef.Dot(own.North), own.VerticalRate);
        var e = ConflictDetection3D.Detect(new Enu(0, 0, 0), ownVelocity, intruder, intruderVelocity, horizontalM, verticalM, lookaheadS);
        return e.Conflict ? new TrackConflict(i, j, e) : null;
    }

    /// <summary>
    /// The half-size by which a track's swept ECEF segment is inflated (before <see cref="Slack"/>),
    /// for a track that travels at most <paramref name="travel"/> metres from its reported point
    /// between its report and the end of the look-ahead.
    /// </summary>
    /// <remarks>
    /// Why two boxes inflated this way overlap for every pair the narrow phase accepts. Let A0, B0 be
    /// the reported points on the ellipsoid, U_A the ellipsoid normal at A0 and P_A the projection on
    /// A's tangent plane (the ownship's east and north); A(t) = A0 + s_A v_A with v_A tangent at A0
    /// and |A(t) - A0| &lt;= L_A for t in [0, T] (L = speed x (|report age| + T)); the same for B.
    /// The narrow phase accepts only if, at some t in [0, T], |P_A x| &lt; D with x = B(t) - A(t).
    /// Then |x|^2 = |P_A x|^2 + z^2 with z = x . U_A = (B0 - A0) . U_A + s_B v_B . U_A.
    /// (1) r0 = |P_A (B0 - A0)| &lt;= D + L_A + L_B =: R.
    /// (2) The ellipsoid lies below A's tangent plane and, since no normal curvature exceeds
    /// 1 / RhoMin, outside the ball of radius RhoMin touching it at A0 from inside (Blaschke's rolling
    /// theorem). So for B0 on the near side (chord c = |B0 - A0| &lt; RhoMin), 0 &gt;= (B0 - A0) . U_A
    /// &gt;= -(RhoMin - sqrt(RhoMin^2 - r0^2)) &gt;= -r0^2 / RhoMin, and c &lt;= r0 + r0^2 / RhoMin.
    /// (3) The normal is U = G p / |G p| with G = diag(1/a^2, 1/a^2, 1/b^2) and |G p| &gt;= 1/a on the
    /// ellipsoid, so by the Dunkl-Williams inequality |U_A - U_B| &lt;= 2 |G (A0 - B0)| / (|G A0| + |G B0|)
    /// &lt;= a c / b^2 = c / RhoMin; as v_B is tangent at B0, |s_B v_B . U_A| = |s_B v_B . (U_A - U_B)|
    /// &lt;= L_B c / RhoMin.
    /// Hence |z| &lt;= z(R) = (2 R^2 + R^3 / RhoMin) / RhoMin and |x| &lt; sqrt(D^2 + z(R)^2) = D + g(R).
    /// g is convex (a convex increasing function of the convex z), so g(D + L_A + L_B) &lt;=
    /// (g(D + 2 L_A) + g(D + 2 L_B)) / 2, and boxes inflated by D / 2 + g(D + 2 L) / 2 each cover a
    /// common point (on the segment between A(t) and B(t)): they overlap. Numbers for the benchmark's
    /// fastest track (300 m/s, report 5 s old, T = 120 s, D = 5,556 m): L = 37.5 km, R = 80.6 km,
    /// z = 2.06 km, g = 370 m, so the box grows by 185 m on each side beyond D / 2 = 2,778 m.
    /// Altitude is separate in the narrow phase (|alt_A(t) - alt_B(t)| &lt; H at the same t), so the
    /// altitude intervals over [0, T] inflated by H / 2 overlap too.
    /// </remarks>
    private static double Inflation(double horizontalM, double travel)
    {
        var reach = horizontalM + (2.0 * travel);
        var z = ((2.0 * reach * reach) + (reach * reach * reach * InverseRhoMin)) * InverseRhoMin;
        // sqrt(D^2 + z^2) - D without the cancellation when z is small.
        var g = z * z / (Math.Sqrt((horizontalM * horizontalM) + (z * z)) + horizontalM);
        return (horizontalM / 2.0) + (g / 2.0);
    }

    /// <summary>A float at or below x: the nearest float is within half a unit, so one unit down is below.</summary>
    private static float Down(double x) => MathF.BitDecrement((float)x);

    /// <summary>A float at or above x.</summary>
    private static float Up(double x) => MathF.BitIncrement((float)x);

    /// <summary>One cycle's working data; arrays of the track count come from the shared pool.</summary>
    private sealed class Cycle
    {
        private readonly TrackState[] _tracks;
        private readonly DateTimeOffset _now;
        private readonly double _d;
        private readonly double _h;
        private readonly double _t;
        private readonly bool _sameParty;
        private readonly bool _parallel;
        private readonly int _n;
        private State[] _states = [];
        private Entry[] _boxes = [];

        // Per track: Binned, Large (tested against every box) or Unboxed (exact test against every track).
        private byte[] _kind = [];

        public Cycle(IReadOnlyList<TrackState> tracks, DateTimeOffset now, double d, double h, double t, bool sameParty, bool parallel)
        {
            _n = tracks.Count;
            _tracks = new TrackState[_n];
            for (var i = 0; i < _n; i++)
            {
                _tracks[i] = tracks[i];
            }

            (_now, _d, _h, _t, _sameParty, _parallel) = (now, d, h, t, sameParty, parallel);
        }

        private const byte Binned = 0;
        private const byte Large = 1;
        private const byte Unboxed = 2;

        public List<TrackConflict> Run()
        {
            _states = ArrayPool<State>.Shared.Rent(_n);
            _boxes = ArrayPool<Entry>.Shared.Rent(_n);
            _kind = ArrayPool<byte>.Shared.Rent(_n);
            try
            {
                var parties = InternParties();
                For(_n, (from, to) =>
                {
                    for (var i = from; i < to; i++)
                    {
                        _states[i] = PrepareOne(_tracks[i], _now);
                        MakeBox(i, parties[i]);
                    }
                });

                var found = new ConcurrentBag<List<TrackConflict>>();
                BinAndTest(found);
                TestOutsiders(found);
                return Sorted(found);
            }
            finally
            {
                ArrayPool<State>.Shared.Return(_states);
                ArrayPool<Entry>.Shared.Return(_boxes);
                ArrayPool<byte>.Shared.Return(_kind);
            }
        }

        private int[] InternParties()
        {
            // Party strings compared once per track here, then ints per pair (the reference compares
            // strings ordinally; a null party equals only another null one). Feeds hand over the same
            // few string objects, so a reference check against the last few saves the hashing.
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            var recent = new (string? Party, int Id)[4];
            var parties = new int[_n];
            for (var i = 0; i < _n; i++)
            {
                var p = _tracks[i].Party;
                var slot = (uint)RuntimeHelpers.GetHashCode(p) % 4;
                if (p is null)
                {
                    parties[i] = -1;
                }
                else if (ReferenceEquals(recent[slot].Party, p))
                {
                    parties[i] = recent[slot].Id;
                }
                else
                {
                    if (!ids.TryGetValue(p, out var id))
                    {
                        ids.Add(p, id = ids.Count);
                    }

                    parties[i] = id;
                    recent[slot] = (p, id);
                }
            }

            return parties;
        }

        private void MakeBox(int i, int party)
        {
            ref readonly var s = ref _states[i];
            var speed = Math.Sqrt(s.VelocityEcef.Dot(s.VelocityEcef));
            var travel = speed * (Math.Abs((_now - _tracks[i].Time).TotalSeconds) + _t);
            var end = s.Ecef + (s.VelocityEcef * _t);
            var alt1 = s.AltitudeM + (s.VerticalRate * _t);

            // NaN or an infinity anywhere makes the sum NaN or infinite (so does an overflow, which
            // only sends the track to the exact test).
            var sum = s.Ecef.X + s.Ecef.Y + s.Ecef.Z + end.X + end.Y + end.Z + s.AltitudeM + alt1 + travel;
            if (!double.IsFinite(sum) || _d + (2.0 * travel) > MaxReach)
            {
                _kind[i] = Unboxed;
                return;
            }

            var r = Inflation(_d, travel) + Slack;
            var hr = (_h / 2.0) + Slack;
            _kind[i] = Binned;
            _boxes[i] = new Entry
            {
                X1 = Up(Math.Max(s.Ecef.X, end.X) + r),
                Y1 = Up(Math.Max(s.Ecef.Y, end.Y) + r),
                Z1 = Up(Math.Max(s.Ecef.Z, end.Z) + r),
                A1 = Up(Math.Max(s.AltitudeM, alt1) + hr),
                NegX0 = -Down(Math.Min(s.Ecef.X, end.X) - r),
                NegY0 = -Down(Math.Min(s.Ecef.Y, end.Y) - r),
                NegZ0 = -Down(Math.Min(s.Ecef.Z, end.Z) - r),
                NegA0 = -Down(Math.Min(s.AltitudeM, alt1) - hr),
                Px = (float)s.Ecef.X,
                Py = (float)s.Ecef.Y,
                Pz = (float)s.Ecef.Z,
                Vx = (float)s.VelocityEcef.X,
                Vy = (float)s.VelocityEcef.Y,
                Vz = (float)s.VelocityEcef.Z,
                Reach = Up(r + FloatSlack + (1e-6 * travel)),
                Index = i,
                Party = party,
            };
        }

        private void BinAndTest(ConcurrentBag<List<TrackConflict>> found)
        {
            // The grid's origin and extent from the binned boxes, and a sample of their sizes.
            double ox = double.MaxValue, oy = double.MaxValue, oz = double.MaxValue;
            double mx = double.MinValue, my = double.MinValue, mz = double.MinValue;
            var binned = 0;
            for (var i = 0; i < _n; i++)
            {
                if (_kind[i] == Binned)
                {
                    ref readonly var b = ref _boxes[i];
                    (ox, oy, oz) = (Math.Min(ox, -b.NegX0), Math.Min(oy, -b.NegY0), Math.Min(oz, -b.NegZ0));
                    (mx, my, mz) = (Math.Max(mx, b.X1), Math.Max(my, b.Y1), Math.Max(mz, b.Z1));
                    binned++;
                }
            }

            if (binned == 0)
            {
                return;
            }

            // 19 bits of cell index per axis and 3 reference-point bits keep the key within 63 bits.
            var cell = Math.Max(CellSize(binned), Math.Max(mx - ox, Math.Max(my - oy, mz - oz)) / (1 << 19));
            var inverse = 1.0 / cell;
            var ny = (long)((my - oy) * inverse) + 1;
            var nz = (long)((mz - oz) * inverse) + 1;
            var nx = (long)((mx - ox) * inverse) + 1;

            // The first and last cell of each box on each axis (always through this one function, so
            // every use agrees), and the entries of each box; too large a box leaves the grid.
            var first = ArrayPool<int>.Shared.Rent(_n * 3);
            var span = ArrayPool<int>.Shared.Rent(_n * 3);
            var offsets = ArrayPool<int>.Shared.Rent(_n + 1);
            try
            {
                For(_n, (from, to) =>
                {
                    for (var i = from; i < to; i++)
                    {
                        if (_kind[i] != Binned)
                        {
                            continue;
                        }

                        ref readonly var b = ref _boxes[i];
                        Cells(i, 0, -b.NegX0, b.X1, ox);
                        Cells(i, 1, -b.NegY0, b.Y1, oy);
                        Cells(i, 2, -b.NegZ0, b.Z1, oz);
                        if (span[(3 * i) + 0] > MaxCellsPerAxis || span[(3 * i) + 1] > MaxCellsPerAxis || span[(3 * i) + 2] > MaxCellsPerAxis)
                        {
                            _kind[i] = Large;
                        }
                    }
                });

                void Cells(int i, int axis, float lo, float hi, double origin)
                {
                    var c0 = (int)((lo - origin) * inverse);
                    first[(3 * i) + axis] = c0;
                    span[(3 * i) + axis] = (int)((hi - origin) * inverse) - c0 + 1;
                }

                offsets[0] = 0;
                for (var i = 0; i < _n; i++)
                {
                    offsets[i + 1] = offsets[i] + (_kind[i] == Binned ? span[3 * i] * span[(3 * i) + 1] * span[(3 * i) + 2] : 0);
                }

                var total = offsets[_n];
                var keys = ArrayPool<long>.Shared.Rent(total);
                var values = ArrayPool<int>.Shared.Rent(total);
                try
                {
                    For(_n, (from, to) =>
                    {
                        for (var i = from; i < to; i++)
                        {
                            if (_kind[i] != Binned)
                            {
                                continue;
                            }

                            int x0 = first[3 * i], y0 = first[(3 * i) + 1], z0 = first[(3 * i) + 2];
                            int x1 = x0 + span[3 * i], y1 = y0 + span[(3 * i) + 1], z1 = z0 + span[(3 * i) + 2];
                            var k = offsets[i];
                            for (var x = x0; x < x1; x++)
                            {
                                for (var y = y0; y < y1; y++)
                                {
                                    for (var z = z0; z < z1; z++)
                                    {
                                        // The cell, then which of the box's first cells it is on each
                                        // axis (the reference-point bits), so a cell's entries come
                                        // sorted in 8 groups by those bits.
                                        var bits = (x == x0 ? 1 : 0) | (y == y0 ? 2 : 0) | (z == z0 ? 4 : 0);
                                        keys[k] = (((((x * ny) + y) * nz) + z) << 3) | (long)bits;
                                        values[k] = i;
                                        k++;
                                    }
                                }
                            }
                        }
                    });

                    RadixSort(keys, values, total, 64 - (int)long.LeadingZeroCount((nx * ny * nz * 8) - 1));
                    TestCells(keys, values, total, found);
                }
                finally
                {
                    ArrayPool<long>.Shared.Return(keys);
                    ArrayPool<int>.Shared.Return(values);
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(first);
                ArrayPool<int>.Shared.Return(span);
                ArrayPool<int>.Shared.Return(offsets);
            }
        }

        /// <summary>
        /// The cell side: the 99th percentile of the boxes' largest side (from at most 1,024 of them,
        /// evenly spaced), so almost every box covers at most 2 cells per axis and a few fast or
        /// stale tracks do not make every cell huge. It follows the look-ahead and the speeds: about
        /// v T + D plus the inflation for this cycle's fast tracks.
        /// </summary>
        private double CellSize(int binned)
        {
            var step = Math.Max(1, binned / 1024);
            var sample = new List<double>(Math.Min(binned, 1024) + 1);
            var seen = 0;
            for (var i = 0; i < _n; i++)
            {
                if (_kind[i] == Binned && seen++ % step == 0)
                {
                    ref readonly var b = ref _boxes[i];
                    sample.Add(Math.Max((double)b.X1 + b.NegX0, Math.Max((double)b.Y1 + b.NegY0, (double)b.Z1 + b.NegZ0)));
                }
            }

            sample.Sort();
            return sample[(int)Math.Min(sample.Count - 1, Math.Floor(sample.Count * 0.99))];
        }

        private void TestCells(long[] keys, int[] values, int total, ConcurrentBag<List<TrackConflict>> found)
        {
            var entries = ArrayPool<Entry>.Shared.Rent(total);
            try
            {
                For(total, (from, to) =>
                {
                    for (var k = from; k < to; k++)
                    {
                        entries[k] = _boxes[values[k]];
                    }
                });

                // Chunks of the sorted entries, each cut at a cell boundary.
                var chunks = _parallel ? Environment.ProcessorCount * 16 : 1;
                var cuts = new int[chunks + 1];
                for (var c = 1; c < chunks; c++)
                {
                    var k = Math.Max(cuts[c - 1], (int)((long)total * c / chunks));
                    while (k > 0 && k < total && (keys[k] >> 3) == (keys[k - 1] >> 3))
                    {
                        k++;
                    }

                    cuts[c] = k;
                }

                cuts[chunks] = total;
                ForCollect(chunks, found, (from, to, list) =>
                {
                    for (var c = from; c < to; c++)
                    {
                        var k = cuts[c];
                        while (k < cuts[c + 1])
                        {
                            var end = k + 1;
                            while (end < cuts[c + 1] && (keys[end] >> 3) == (keys[k] >> 3))
                            {
                                end++;
                            }

                            TestCell(keys, entries, k, end, list);
                            k = end;
                        }
                    }
                });
            }
            finally
            {
                ArrayPool<Entry>.Shared.Return(entries);
            }
        }

        /// <summary>
        /// The pairs of one cell, entries [start, end). A pair is tested only in the cell holding the
        /// lower corner of the two boxes' overlap, max(first cell of A, first cell of B) on each axis;
        /// both boxes cover that cell, so there, on each axis, one of the two starts. Hence only
        /// groups whose reference-point bits together make 7 are paired: every overlapping pair once.
        /// </summary>
        private void TestCell(long[] keys, Entry[] entries, int start, int end, List<TrackConflict> list)
        {
            Span<int> group = stackalloc int[9];
            var k = start;
            for (var bits = 0; bits < 8; bits++)
            {
                group[bits] = k;
                while (k < end && (keys[k] & 7) == bits)
                {
                    k++;
                }
            }

            group[8] = end;
            for (var g = 0; g < 8; g++)
            {
                for (var h = g; h < 8; h++)
                {
                    if ((g | h) == 7 && group[g] < group[g + 1] && group[h] < group[h + 1])
                    {
                        TestGroups(entries, group[g], group[g + 1], group[h], group[h + 1], g == h, list);
                    }
                }
            }
        }

        private void TestGroups(Entry[] entries, int a0, int a1, int b0, int b1, bool same, List<TrackConflict> list)
        {
            var sameParty = _sameParty;
            for (var a = a0; a < a1; a++)
            {
                ref readonly var ea = ref entries[a];
                var q = ea.Query;
                for (var b = same ? a + 1 : b0; b < b1; b++)
                {
                    ref var eb = ref entries[b];
                    if (Vector256.LessThanOrEqualAll(q, Entry.Box(ref eb)) && (sameParty || ea.Party != eb.Party) && MayMeet(ea, eb))
                    {
                        AddIfConflict(ea.Index, eb.Index, list);
                    }
                }
            }
        }

        /// <summary>
        /// The closest approach of the two straight ECEF motions during [0, T] is within the sum of
        /// their reaches. Every pair the narrow phase accepts passes: at its conflict time the two are
        /// closer than the sum of the boxes' inflations (see <see cref="Inflation"/>), and the reaches
        /// add the float rounding of positions (0.25 m a coordinate near 6.4e6 m) and velocities
        /// (6e-8 relative, over the travel). In the benchmark at 100,000 tracks, 8.0 million pairs are
        /// visited in the cells, 292,000 have overlapping boxes, 194,000 of them of different parties,
        /// 57,700 of those pass this filter (one division, no square root, nothing outside the cell's
        /// entries) and 24,254 are conflicts: the narrow phase runs 3.4 times less often.
        /// </summary>
        private bool MayMeet(in Entry a, in Entry b)
        {
            double dx = (double)b.Px - a.Px, dy = (double)b.Py - a.Py, dz = (double)b.Pz - a.Pz;
            double wx = (double)b.Vx - a.Vx, wy = (double)b.Vy - a.Vy, wz = (double)b.Vz - a.Vz;
            var ww = (wx * wx) + (wy * wy) + (wz * wz);
            var t = ww > 0.0 ? Math.Clamp(-((dx * wx) + (dy * wy) + (dz * wz)) / ww, 0.0, _t) : 0.0;
            var ex = dx + (t * wx);
            var ey = dy + (t * wy);
            var ez = dz + (t * wz);
            var reach = (double)a.Reach + b.Reach;
            return (ex * ex) + (ey * ey) + (ez * ez) < reach * reach;
        }

        private void AddIfConflict(int i, int j, List<TrackConflict> list)
        {
            var conflict = i < j ? Narrow(_states, i, j, _d, _h, _t) : Narrow(_states, j, i, _d, _h, _t);
            if (conflict is { } c)
            {
                list.Add(c);
            }
        }

        /// <summary>
        /// Large boxes against every box (overlap test, then the narrow phase), and tracks without a
        /// usable box against every track (the narrow phase alone). O(n) each.
        /// </summary>
        private void TestOutsiders(ConcurrentBag<List<TrackConflict>> found)
        {
            var outsiders = new List<int>();
            for (var i = 0; i < _n; i++)
            {
                if (_kind[i] != Binned)
                {
                    outsiders.Add(i);
                }
            }

            ForCollect(outsiders.Count, found, (from, to, list) =>
            {
                for (var o = from; o < to; o++)
                {
                    var i = outsiders[o];
                    for (var j = 0; j < _n; j++)
                    {
                        // A pair of outsiders is tested once, by the lower index.
                        if (j == i || (_kind[j] != Binned && j < i) || (!_sameParty && _tracks[i].Party == _tracks[j].Party))
                        {
                            continue;
                        }

                        if (_kind[i] == Unboxed || _kind[j] == Unboxed || Vector256.LessThanOrEqualAll(_boxes[i].Query, Entry.Box(ref _boxes[j])))
                        {
                            AddIfConflict(i, j, list);
                        }
                    }
                }
            });
        }

        private static List<TrackConflict> Sorted(ConcurrentBag<List<TrackConflict>> found)
        {
            var count = found.Sum(l => l.Count);
            var keys = new long[count];
            var all = new TrackConflict[count];
            var k = 0;
            foreach (var list in found)
            {
                foreach (var c in list)
                {
                    keys[k] = ((long)c.A << 32) | (uint)c.B;
                    all[k++] = c;
                }
            }

            Array.Sort(keys, all);
            return [.. all];
        }

        /// <summary>
        /// LSD radix sort of (key, value) by key over the key's significant bits, in as few passes of
        /// at most 12 bits as they need (2 for the benchmark's 24 bits; the counts stay in L1).
        /// </summary>
        private static void RadixSort(long[] keys, int[] values, int count, int bits)
        {
            if (bits <= 0)
            {
                return;
            }

            var passes = (bits + 11) / 12;
            var digit = (bits + passes - 1) / passes;
            var keys2 = ArrayPool<long>.Shared.Rent(count);
            var values2 = ArrayPool<int>.Shared.Rent(count);
            var counts = new int[1 << digit];
            var (srcK, srcV, dstK, dstV) = (keys, values, keys2, values2);
            for (var shift = 0; shift < bits; shift += digit)
            {
                Array.Clear(counts);
                for (var k = 0; k < count; k++)
                {
                    counts[(int)(srcK[k] >> shift) & ((1 << digit) - 1)]++;
                }

                var sum = 0;
                for (var d = 0; d < counts.Length; d++)
                {
                    (counts[d], sum) = (sum, sum + counts[d]);
                }

                for (var k = 0; k < count; k++)
                {
                    var d = (int)(srcK[k] >> shift) & ((1 << digit) - 1);
                    var to = counts[d]++;
                    dstK[to] = srcK[k];
                    dstV[to] = srcV[k];
                }

                (srcK, srcV, dstK, dstV) = (dstK, dstV, srcK, srcV);
            }

            if (!ReferenceEquals(srcK, keys))
            {
                Array.Copy(srcK, keys, count);
                Array.Copy(srcV, values, count);
            }

            ArrayPool<long>.Shared.Return(keys2);
            ArrayPool<int>.Shared.Return(values2);
        }

        /// <summary>Runs body over [0, count) in chunks, on all cores when the cycle is large.</summary>
        private void For(int count, Action<int, int> body)
        {
            if (!_parallel || count < ParallelThreshold)
            {
                body(0, count);
                return;
            }

            Parallel.ForEach(Partitioner.Create(0, count, Math.Max(256, count / (Environment.ProcessorCount * 8))), range => body(range.Item1, range.Item2));
        }

        /// <summary>Like <see cref="For"/>, each worker adding conflicts to its own list.</summary>
        private void ForCollect(int count, ConcurrentBag<List<TrackConflict>> found, Action<int, int, List<TrackConflict>> body)
        {
            if (count == 0)
            {
                return;
            }

            if (!_parallel)
            {
                var list = new List<TrackConflict>();
                body(0, count, list);
                found.Add(list);
                return;
            }

            Parallel.ForEach(
                Partitioner.Create(0, count, Math.Max(1, count / (Environment.ProcessorCount * 8))),
                () => new List<TrackConflict>(),
                (range, _, list) =>
                {
                    body(range.Item1, range.Item2, list);
                    return list;
                },
                found.Add);
        }
    }
}
