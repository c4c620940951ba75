using Deconflict.Core.Geometry;

namespace Deconflict.Demo;

/// <summary>Where a simulated aircraft is at one instant: position, altitude (m, WGS-84) and velocity (m/s, east-north-up).</summary>
public readonly record struct FlightState(GeoPoint Position, double AltitudeM, double EastMps, double NorthMps, double UpMps);

/// <summary>
/// A simulated sortie: it takes off from its first waypoint at <see cref="Departure"/>, flies the
/// geodesics between its waypoints at a constant ground speed, climbs to its cruise altitude and
/// descends again before the last waypoint, where it lands. Positions are a function of time
/// (Geodesic.Direct along the current leg), so a report at any simulated instant is exact and the
/// scenario is the same at any speed. <see cref="Reroute"/> replaces the rest of the route from
/// where the aircraft is (a turn away).
/// </summary>
public sealed class Flight
{
    private readonly object _gate = new();
    private List<Leg> _legs;

    public Flight(string id, string callsign, DateTimeOffset departure, double speedMps, double cruiseM, IReadOnlyList<GeoPoint> route, double fieldM = 50, double climbMps = 20)
    {
        if (route.Count < 2)
        {
            throw new ArgumentException("A route needs a departure and at least one more waypoint.", nameof(route));
        }

        Id = id;
        Callsign = callsign;
        Departure = departure;
        SpeedMps = speedMps;
        CruiseM = cruiseM;
        FieldM = fieldM;
        ClimbMps = climbMps;
        _legs = Legs(route, departure, speedMps);
    }

    /// <summary>The party's track id (private to the party).</summary>
    public string Id { get; }

    public string Callsign { get; }

    public DateTimeOffset Departure { get; }

    public double SpeedMps { get; }

    public double CruiseM { get; }

    public double FieldM { get; }

    public double ClimbMps { get; }

    /// <summary>When the aircraft lands at its last waypoint.</summary>
    public DateTimeOffset Landing
    {
        get
        {
            lock (_gate)
            {
                return _legs[^1].End;
            }
        }
    }

    /// <summary>The aircraft at <paramref name="t"/>, or null before take-off and after landing.</summary>
    public FlightState? At(DateTimeOffset t)
    {
        List<Leg> legs;
        lock (_gate)
        {
            legs = _legs;
        }

        if (t < Departure || t >= legs[^1].End)
        {
            return null;
        }

        var leg = legs.FindLast(l => l.Start <= t) ?? legs[0];
        var along = Math.Min(leg.LengthM, SpeedMps * (t - leg.Start).TotalSeconds);
        var position = Geodesic.Direct(leg.From, leg.AzimuthDeg, along);
        // The heading here: towards the leg's end, or along the leg's last stretch at its very end.
        var remaining = leg.LengthM - along;
        var heading = remaining > 1 ? Geodesic.Inverse(position, leg.To).InitialAzimuthDeg : leg.FinalAzimuthDeg;
        var rad = heading * Math.PI / 180;

        // Climb out at ClimbMps, cruise, and descend at the same rate to land at the end.
        var sinceDeparture = (t - Departure).TotalSeconds;
        var untilLanding = (legs[^1].End - t).TotalSeconds;
        var climbing = FieldM + (ClimbMps * sinceDeparture);
        var descending = FieldM + (ClimbMps * untilLanding);
        double altitude;
        double up;
        if (climbing < CruiseM && climbing <= descending)
        {
            (altitude, up) = (climbing, ClimbMps);
        }
        else if (descending < CruiseM)
        {
            (altitude, up) = (descending, -ClimbMps);
        }
        else
        {
            (altitude, up) = (CruiseM, 0);
        }

        return new FlightState(position, altitude, SpeedMps * Math.Sin(rad), SpeedMps * Math.Cos(rad), up);
    }

    /// <summary>From <paramref name="t"/> on, flies from where the aircraft is through <paramref name="waypoints"/> instead.</summary>
    public void Reroute(DateTimeOffset t, IEnumerable<GeoPoint> waypoints)
    {
        var here = At(t) ?? throw new InvalidOperationException($"{Callsign} is not airborne at {t:O}.");
        lock (_gate)
        {
            var kept = _legs.Where(l => l.Start < t).ToList();
            var current = kept[^1];
            var flown = SpeedMps * (t - current.Start).TotalSeconds;
            kept[^1] = current with { To = here.Position, LengthM = flown, End = t };
            kept.AddRange(Legs([here.Position, .. waypoints], t, SpeedMps));
            _legs = kept;
        }
    }

    private static List<Leg> Legs(IReadOnlyList<GeoPoint> route, DateTimeOffset start, double speedMps)
    {
        var legs = new List<Leg>();
        var t = start;
        for (var i = 1; i < route.Count; i++)
        {
            var line = Geodesic.Inverse(route[i - 1], route[i]);
            var end = t + TimeSpan.FromSeconds(line.DistanceM / speedMps);
            legs.Add(new Leg(route[i - 1], route[i], line.InitialAzimuthDeg, line.FinalAzimuthDeg, line.DistanceM, t, end));
            t = end;
        }

        return legs;
    }

    private sealed record Leg(GeoPoint From, GeoPoint To, double AzimuthDeg, double FinalAzimuthDeg, double LengthM, DateTimeOffset Start, DateTimeOffset End);

    /// <summary>A closed orbit: <paramref name="laps"/> turns of a polygon of <paramref name="points"/> on a circle, starting and ending at its first point.</summary>
    public static List<GeoPoint> Orbit(GeoPoint centre, double radiusM, int laps, int points = 12)
    {
        var route = new List<GeoPoint>();
        for (var i = 0; i <= laps * points; i++)
        {
            route.Add(Geodesic.Direct(centre, 360.0 * (i % points) / points, radiusM));
        }

        return route;
    }
}
