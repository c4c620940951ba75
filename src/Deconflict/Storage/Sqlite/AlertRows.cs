using System.Collections.Immutable;
using System.Text.Json;
using Deconflict.Api;
using Deconflict.Core.Tactical;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>Track alerts as stored: the whole current version as one JSON document (a plain shape, mapped here).</summary>
internal static class AlertRows
{
    public const string Columns = "seq, doc, record_index";

    public static string State(TrackAlert a) => a.State == AlertState.Active ? "active" : "cleared";

    public static string Serialize(TrackAlert a) => JsonSerializer.Serialize(
        new Doc(a.Id, a.Version, a.State, a.Level, Side(a.A), Side(a.B), a.TimeToLossS, new CpaDoc(a.Cpa.Time, a.Cpa.HorizontalM, a.Cpa.VerticalM),
            a.PredictedAt, a.AcknowledgedBy.ToDictionary(kv => kv.Key, kv => kv.Value), a.RaisedAt, a.UpdatedAt, a.ClearedAt, a.ClearedReason, a.TrackLostAt),
        Json.Options);

    public static TrackAlert Deserialize(string json)
    {
        var d = JsonSerializer.Deserialize<Doc>(json, Json.Options) ?? throw new InvalidDataException("An alert row is empty.");
        return new TrackAlert(
            d.Id, d.Version, d.State, d.Level, Aircraft(d.A), Aircraft(d.B), d.TimeToLossS, new ClosestApproach(d.Cpa.Time, d.Cpa.HorizontalM, d.Cpa.VerticalM),
            d.PredictedAt, d.AcknowledgedBy.ToImmutableSortedDictionary(StringComparer.Ordinal), d.RaisedAt, d.UpdatedAt, d.ClearedAt)
        {
            ClearedReason = d.ClearedReason,
            TrackLostAt = d.TrackLostAt,
        };
    }

    public static TrackAlert? ReadOne(SqliteCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    /// <summary>The alert of a row of <see cref="Columns"/>, with its record index.</summary>
    public static TrackAlert Read(SqliteDataReader r) =>
        Deserialize(r.GetString(1)) with { RecordIndex = r.IsDBNull(2) ? null : r.GetInt64(2) };

    public static void Bind(SqliteCommand cmd, TrackAlert a)
    {
        cmd.Parameters.AddWithValue("$id", a.Id);
        cmd.Parameters.AddWithValue("$a", a.A.Party);
        cmd.Parameters.AddWithValue("$b", a.B.Party);
        cmd.Parameters.AddWithValue("$state", State(a));
        cmd.Parameters.AddWithValue("$version", a.Version);
        cmd.Parameters.AddWithValue("$doc", Serialize(a));
    }

    private static SideDoc Side(AlertAircraft x) => new(x.Party, x.TrackId, x.Callsign, x.Time, x.Lat, x.Lng, x.AltitudeM, x.Velocity.East, x.Velocity.North, x.Velocity.Up, x.Lost ? true : null);

    private static AlertAircraft Aircraft(SideDoc x) => new(x.Party, x.TrackId, x.Callsign, x.Time, x.Lat, x.Lng, x.AltitudeM, new Enu(x.EastMps, x.NorthMps, x.UpMps), x.Lost == true);

    // The members added later (cleared_reason, track_lost_at, lost) are optional and left out when
    // null, so rows written before them read back as they were: no migration.
    private sealed record Doc(
        string Id, long Version, AlertState State, AlertLevel Level, SideDoc A, SideDoc B, double TimeToLossS, CpaDoc Cpa,
        DateTimeOffset PredictedAt, Dictionary<string, DateTimeOffset> AcknowledgedBy, DateTimeOffset RaisedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ClearedAt,
        ClearReason? ClearedReason = null, DateTimeOffset? TrackLostAt = null);

    private sealed record SideDoc(
        string Party, string TrackId, string? Callsign, DateTimeOffset Time, double Lat, double Lng, double AltitudeM, double EastMps, double NorthMps, double UpMps, bool? Lost = null);

    private sealed record CpaDoc(DateTimeOffset Time, double HorizontalM, double VerticalM);
}
