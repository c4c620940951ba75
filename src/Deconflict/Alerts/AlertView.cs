using System.Text.Json;
using Deconflict.Api;
using Deconflict.Core.Model;
using Deconflict.Core.Tactical;

namespace Deconflict.Alerts;

public sealed record PositionView(double Lat, double Lng);

public sealed record VelocityView(double EastMps, double NorthMps, double UpMps);

/// <summary>
/// One aircraft of an alert as a viewer may see it. The track id and callsign are there only for
/// the viewer's own aircraft (and for the admin and observers, who see everything); the other
/// party's aircraft is only where it was, when, how high and how fast: what is needed to avoid it.
/// </summary>
public sealed record AlertAircraftView(string Party, bool Own, string? TrackId, string? Callsign, DateTimeOffset Time, PositionView Position, double AltitudeM, VelocityView Velocity)
{
    public static AlertAircraftView For(AlertAircraft a, Caller viewer)
    {
        var own = viewer.PartyId == a.Party;
        var named = own || viewer.SeesEverything;
        return new AlertAircraftView(
            a.Party, own, named ? a.TrackId : null, named ? a.Callsign : null, a.Time, new PositionView(a.Lat, a.Lng), a.AltitudeM,
            new VelocityView(a.Velocity.East, a.Velocity.North, a.Velocity.Up));
    }
}

public sealed record CpaView(DateTimeOffset Time, double HorizontalM, double VerticalM);

/// <summary>An alert as API.md gives it, for one viewer.</summary>
public sealed record AlertView(
    string Id, long Version, string State, string Level, AlertAircraftView A, AlertAircraftView B, double TimeToLossS, CpaView Cpa,
    DateTimeOffset PredictedAt, IReadOnlyDictionary<string, DateTimeOffset> AcknowledgedBy, DateTimeOffset RaisedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ClearedAt)
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
        a.Id, a.Version, Json.Name(a.State), Json.Name(a.Level), AlertAircraftView.For(a.A, viewer), AlertAircraftView.For(a.B, viewer),
        Math.Round(a.TimeToLossS, 3), new CpaView(a.Cpa.Time, Math.Round(a.Cpa.HorizontalM, 1), Math.Round(a.Cpa.VerticalM, 1)), a.PredictedAt,
        a.AcknowledgedBy, a.RaisedAt, a.UpdatedAt, a.ClearedAt)
    {
        RecordIndex = a.RecordIndex + Math.Max(0, a.Parties.IndexOf(viewer.PartyId ?? string.Empty)),
    };

    /// <summary>The `track-alert` event payload for one side: each side gets its own event, with its own view.</summary>
    public static string Payload(string action, TrackAlert a, string party) =>
        JsonSerializer.Serialize(new { action, alert = ForEntry(a, party) }, Json.Options);
}
