using System.Collections.Immutable;
using System.Data.Common;
using System.Text.Json;
using Deconflict.Core.Tactical;

namespace Deconflict.Storage;

/// <summary>Track alerts as stored: the whole current version as one JSON document (a plain shape, mapped here).</summary>
internal static class AlertRows
{
    public const string Columns = "seq, doc, record_index";

    public static string State(TrackAlert a) => a.State == AlertState.Active ? "active" : "cleared";

    public static string Serialize(TrackAlert a) => JsonSerializer.Serialize(
        new Doc(a.Id, a.Version, a.State, a.Level, Side(a.A), Side(a.B), a.TimeToLossS, new CpaDoc(a.Cpa.Time, a.Cpa.HorizontalM, a.Cpa.VerticalM),
            a.PredictedAt, a.AcknowledgedBy.ToDictionary(kv => kv.Key, kv => kv.Value), a.RaisedAt, a.UpdatedAt, a.ClearedAt, a.ClearedReason, a.TrackLostAt),
        StoreJson.Options);

    public static TrackAlert Deserialize(string json)
    {
        var d = JsonSerializer.Deserialize<Doc>(json, StoreJson.Options) ?? throw new InvalidDataException("An alert row is empty.");
        return new TrackAlert(
            d.Id, d.Version, d.State, d.Level, Aircraft(d.A), Aircraft(d.B), d.TimeToLossS, new ClosestApproach(d.Cpa.Time, d.Cpa.HorizontalM, d.Cpa.VerticalM),
            d.PredictedAt, d.AcknowledgedBy.ToImmutableSortedDictionary(StringComparer.Ordinal), d.RaisedAt, d.UpdatedAt, d.ClearedAt)
        {
            ClearedReason = d.ClearedReason,
            TrackLostAt = d.TrackLostAt,
        };
    }

    public static TrackAlert? ReadOne(DbCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    /// <summary>The alert of a row of <see cref="Columns"/>, with its record index.</summary>
    public static TrackAlert Read(DbDataReader r) =>
        Deserialize(r.GetString(1)) with { RecordIndex = r.IsDBNull(2) ? null : r.GetInt64(2) };

    /// <summary>Binds the alert's columns as parameters id, a, b, state, version and doc, each name after <paramref name="marker"/> (the store's placeholder prefix).</summary>
    public static void Bind(DbCommand cmd, TrackAlert a, string marker)
    {
        Add(cmd, marker + "id", a.Id);
        Add(cmd, marker + "a", a.A.Party);
        Add(cmd, marker + "b", a.B.Party);
        Add(cmd, marker + "state", State(a));
        Add(cmd, marker + "version", a.Version);
        Add(cmd, marker + "doc", Serialize(a));
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
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
