using System.Collections.Immutable;
using System.Data.Common;
using System.Text.Json;
using Deconflict.Core.Line;

namespace Deconflict.Storage;

/// <summary>Line messages as stored: the whole current version as one JSON document (a plain shape, mapped here).</summary>
internal static class LineRows
{
    public const string Columns = "seq, doc, record_index";

    public static string Serialize(LineMessage m) => JsonSerializer.Serialize(new Doc(
        m.Id, m.Version, m.From, [.. m.To], m.Kind, m.Subject, m.Body, m.Language,
        [.. m.Refs.Select(r => new RefDoc(r.Kind, r.Id))],
        m.Place is { } p ? new PlaceDoc(p.Lat, p.Lng, p.Time) : null,
        m.SentAt, m.RequiresAck, m.AckDueAt, m.NoticeFor,
        m.Receipts.ToDictionary(kv => kv.Key, kv => new ReceiptDoc(kv.Value.DeliveredAt, kv.Value.ReadAt, kv.Value.AcknowledgedAt, kv.Value.AcknowledgedBy, kv.Value.Note, kv.Value.EscalationLevel, kv.Value.DueAt))),
        StoreJson.Options);

    public static LineMessage Deserialize(string json)
    {
        var d = JsonSerializer.Deserialize<Doc>(json, StoreJson.Options) ?? throw new InvalidDataException("A line message row is empty.");
        return new LineMessage(
            d.Id, d.Version, d.From, [.. d.To], d.Kind, d.Subject, d.Body, d.Language,
            [.. d.Refs.Select(r => new LineRef(r.Kind, r.Id))],
            d.Place is { } p ? new LinePlace(p.Lat, p.Lng, p.Time) : null,
            d.SentAt, d.RequiresAck, d.AckDueAt,
            d.Receipts.ToImmutableSortedDictionary(kv => kv.Key, kv => new Receipt(kv.Value.DeliveredAt, kv.Value.ReadAt, kv.Value.AcknowledgedAt, kv.Value.AcknowledgedBy, kv.Value.Note, kv.Value.EscalationLevel, kv.Value.DueAt), StringComparer.Ordinal))
        {
            NoticeFor = d.NoticeFor,
        };
    }

    public static LineMessage? ReadOne(DbCommand cmd)
    {
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    /// <summary>The message of a row of <see cref="Columns"/>, with its record index.</summary>
    public static LineMessage Read(DbDataReader r) =>
        Deserialize(r.GetString(1)) with { RecordIndex = r.IsDBNull(2) ? null : r.GetInt64(2) };

    public static object Due(LineMessage m) => m.NextDueAt is { } due ? StoreRows.Ms(due) : DBNull.Value;

    private sealed record Doc(
        string Id, long Version, string From, string[] To, MessageKind Kind, string Subject, string Body, string Language,
        RefDoc[] Refs, PlaceDoc? Place, DateTimeOffset SentAt, bool RequiresAck, DateTimeOffset? AckDueAt, string? NoticeFor, Dictionary<string, ReceiptDoc> Receipts);

    private sealed record RefDoc(string Kind, string Id);

    private sealed record PlaceDoc(double Lat, double Lng, DateTimeOffset Time);

    private sealed record ReceiptDoc(DateTimeOffset? DeliveredAt, DateTimeOffset? ReadAt, DateTimeOffset? AcknowledgedAt, string? AcknowledgedBy, string? Note, int EscalationLevel, DateTimeOffset? DueAt);
}
