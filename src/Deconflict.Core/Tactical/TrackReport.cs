namespace Deconflict.Core.Tactical;

/// <summary>
/// One position report of one aircraft as a party's feed gives it, already in SI units: the party's
/// own track id (party-scoped), the time of the fix (UTC), WGS-84 latitude and longitude in degrees,
/// altitude in metres above the WGS-84 ellipsoid, and velocity in the aircraft's local east-north-up
/// frame in metres per second. The callsign, when the feed knows it, is private to the party.
/// </summary>
public sealed record TrackReport(string Id, DateTimeOffset Time, double Lat, double Lng, double AltitudeM, Enu Velocity, string? Callsign = null)
{
    /// <summary>
    /// The velocity from ground speed (m/s), true track (degrees clockwise from north) and vertical
    /// rate (m/s, up positive), as ADS-B and most feeds give it.
    /// </summary>
    public static Enu VelocityFrom(double groundSpeedMps, double trackDeg, double verticalRateMps)
    {
        var (sin, cos) = Math.SinCos(trackDeg * Math.PI / 180.0);
        return new Enu(groundSpeedMps * sin, groundSpeedMps * cos, verticalRateMps);
    }
}
