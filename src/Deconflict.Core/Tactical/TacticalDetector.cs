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
/// Broad phase: earth-centred cubic cells of side L = D + (the fastest closing speed of the cycle) x T.
/// Two aircraft that can come within D of each other during T are closer than L now, so they share a
/// cell or are in neighbouring cells (27 cells, including across the antimeridian and over the pole,
/// where longitude-based grids break). Expected cost O(n + pairs tested).
/// </remarks>
public static class TacticalDetector
{
    /// <summary>The grid detector.</summary>
    public static List<TrackConflict> Detect(IReadOnlyList<TrackState> tracks, DateTimeOffset now, double horizontalM, double verticalM, double lookaheadS, bool sameParty = false)
    {
        var states = Prepare(tracks, now, out var maxSpeed);
        var cell = horizontalM + (2.0 * maxSpeed * lookaheadS) + 1.0;
        var grid = new Dictionary<(long, long, long), List<int>>();
        for (var i = 0; i < states.Length; i++)
        {
            var key = Cell(states[i].Ecef, cell);
            if (!grid.TryGetValue(key, out var list))
            {
                grid.Add(key, list = []);
            }

            list.Add(i);
        }

        var found = new List<TrackConflict>();
        for (var i = 0; i < states.Length; i++)
        {
            var (cx, cy, cz) = Cell(states[i].Ecef, cell);
            for (var dx = -1; dx <= 1; dx++)
            {
                for (var dy = -1; dy <= 1; dy++)
                {
                    for (var dz = -1; dz <= 1; dz++)
                    {
                        if (!grid.TryGetValue((cx + dx, cy + dy, cz + dz), out var list))
                        {
                            continue;
                        }

                        foreach (var j in list)
                        {
                            if (j > i && Test(tracks, states, i, j, horizontalM, verticalM, lookaheadS, sameParty) is { } conflict)
                            {
                                found.Add(conflict);
                            }
                        }
                    }
                }
            }
        }

        found.Sort((x, y) => x.A != y.A ? x.A.CompareTo(y.A) : x.B.CompareTo(y.B));
        return found;
    }

    /// <summary>The all-pairs reference: the same test on every pair. O(n^2).</summary>
    public static List<TrackConflict> DetectAllPairs(IReadOnlyList<TrackState> tracks, DateTimeOffset now, double horizontalM, double verticalM, double lookaheadS, bool sameParty = false)
    {
        var states = Prepare(tracks, now, out _);
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

    private readonly record struct State(Vec3d Ecef, Vec3d VelocityEcef, double AltitudeM, double VerticalRate, Vec3d East, Vec3d North);

    private readonly record struct Vec3d(double X, double Y, double Z)
    {
        public static Vec3d operator -(Vec3d a, Vec3d b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

        public static Vec3d operator +(Vec3d a, Vec3d b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

        public static Vec3d operator *(Vec3d a, double k) => new(a.X * k, a.Y * k, a.Z * k);

        public double Dot(Vec3d o) => (X * o.X) + (Y * o.Y) + (Z * o.Z);
    }

    private static State[] Prepare(IReadOnlyList<TrackState> tracks, DateTimeOffset now, out double maxSpeed)
    {
        var states = new State[tracks.Count];
        maxSpeed = 0.0;
        for (var i = 0; i < tracks.Count; i++)
        {
            var t = tracks[i];
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
            states[i] = new State(ecef + (horizontal * dt), horizontal, t.AltitudeM + (t.Velocity.Up * dt), t.Velocity.Up, east, north);
            maxSpeed = Math.Max(maxSpeed, Math.Sqrt(horizontal.Dot(horizontal)));
        }

        return states;
    }

    private static (long, long, long) Cell(Vec3d p, double size) =>
        ((long)Math.Floor(p.X / size), (long)Math.Floor(p.Y / size), (long)Math.Floor(p.Z / size));

    private static TrackConflict? Test(IReadOnlyList<TrackState> tracks, State[] states, int i, int j, double horizontalM, double verticalM, double lookaheadS, bool sameParty)
    {
        if (!sameParty && tracks[i].Party == tracks[j].Party)
        {
            return null;
        }

        var own = states[i];
        var other = states[j];
        var d = other.Ecef - own.Ecef;
        var intruder = new Enu(d.Dot(own.East), d.Dot(own.North), other.AltitudeM - own.AltitudeM);
        var intruderVelocity = new Enu(other.VelocityEcef.Dot(own.East), other.VelocityEcef.Dot(own.North), other.VerticalRate);
        var ownVelocity = new Enu(own.VelocityEcef.Dot(own.East), own.VelocityEcef.Dot(own.North), own.VerticalRate);
        var e = ConflictDetection3D.Detect(new Enu(0, 0, 0), ownVelocity, intruder, intruderVelocity, horizontalM, verticalM, lookaheadS);
        return e.Conflict ? new TrackConflict(i, j, e) : null;
    }
}
