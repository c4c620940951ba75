using Deconflict.Core.Model;
using Deconflict.Core.Tactical;
using Deconflict.Service;

namespace Deconflict.Alerts;

public sealed record PositionView(double Lat, double Lng);

public sealed record VelocityView(double EastMps, double NorthMps, double UpMps);

/// <summary>
/// One aircraft of an alert as a viewer may see it. The track id and callsign are there only for
/// the viewer's own aircraft (and for the admin and observers, who see everything); the other
/// party's aircraft is only where it was, when, how high and how fast: what is needed to avoid it.
/// <c>lost</c> is there (true) only for an aircraft whose track went stale while the alert was
/// active: both sides are told, since losing sight of either aircraft matters to both.
/// </summary>
public sealed record AlertAircraftView(string Party, bool Own, string? TrackId, string? Callsign, DateTimeOffset Time, PositionView Position, double AltitudeM, VelocityView Velocity, bool? Lost)
{
    public static AlertAircraftView For(AlertAircraft a, Caller viewer)
    {
        var own = viewer.PartyId == a.Party;
        var named = own || viewer.SeesEverything;
        return new AlertAircraftView(
            a.Party, own, named ? a.TrackId : null, named ? a.Callsign : null, a.Time, new PositionView(a.Lat, a.Lng), a.AltitudeM,
            new VelocityView(a.Velocity.East, a.Velocity.North, a.Velocity.Up), a.Lost ? true : null);
    }
}

public sealed record CpaView(DateTimeOffset Time, double HorizontalM, double VerticalM);

/// <summary>
/// An alert as API.md gives it, for one viewer. The prediction (level, time to loss, closest
/// approach, aircraft) is as of <c>predicted_at</c>, never live: for a cleared alert it is the last
/// one made before the clear. <c>cleared_reason</c> and <c>track_lost_at</c> are absent until they
/// apply (and absent from alerts cleared before reasons were recorded), so entries written without
/// them still state the rows exactly.
/// </summary>
public sealed record AlertView(
    string Id, long Version, string State, string Level, AlertAircraftView A, AlertAircraftView B, double TimeToLossS, CpaView Cpa,
    DateTimeOffset PredictedAt, IReadOnlyDictionary<string, DateTimeOffset> AcknowledgedBy, DateTimeOffset RaisedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ClearedAt,
    string? ClearedReason, DateTimeOffset? TrackLostAt)
{
    /// <summary>
    /// The record index of the entry that made this version as the viewer was shown it: a side's
    /// own entry (the alert's entries are one per side, in party order), the first for the admin
    /// and observers; absent inside an entry's own payload.
    /// </summary>
    public long? RecordIndex { get; init; }

    /// <summary>The alert as the payload of the side's entry gives it (no record index).</summary>
    public static AlertView ForEntry(TrackAlert a, string party) => For(a, new Caller(party, PartyRole.Party, "")) with { RecordIndex = null };

    public static AlertView For(TrackAlert a, Caller viewer) => new(
        a.Id, a.Version, WireName.Of(a.State), WireName.Of(a.Level), AlertAircraftView.For(a.A, viewer), AlertAircraftView.For(a.B, viewer),
        Math.Round(a.TimeToLossS, 3), new CpaView(a.Cpa.Time, Math.Round(a.Cpa.HorizontalM, 1), Math.Round(a.Cpa.VerticalM, 1)), a.PredictedAt,
        a.AcknowledgedBy, a.RaisedAt, a.UpdatedAt, a.ClearedAt, a.ClearedReason is { } reason ? WireName.Of(reason) : null, a.TrackLostAt)
    {
        RecordIndex = a.RecordIndex + Math.Max(0, a.Parties.IndexOf(viewer.PartyId ?? string.Empty)),
    };

}
