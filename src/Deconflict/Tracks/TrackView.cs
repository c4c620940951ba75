using Deconflict.Alerts;
using Deconflict.Core.Tactical;

namespace Deconflict.Tracks;

/// <summary>
/// One live track as the tactical service holds it, for its owner (and the admin and observers):
/// the latest accepted report, <c>stale</c> once it is older than the staleness limit (it is then
/// left out of detection), and the callsign when the feed gave one.
/// </summary>
public sealed record TrackView(string Party, string Id, DateTimeOffset Time, double Lat, double Lng, double AltitudeM, VelocityView Velocity, bool Stale, string? Callsign)
{
    public static TrackView Of(TrackState t, string? callsign, DateTimeOffset staleBefore) =>
        new(t.Party, t.Id, t.Time, t.Lat, t.Lng, t.AltitudeM, new VelocityView(t.Velocity.East, t.Velocity.North, t.Velocity.Up), t.Time <= staleBefore, callsign);
}
