using Deconflict.Core.Line;
using Deconflict.Service;

namespace Deconflict.Line;

public sealed record LineMessageView(
    string Id, long Version, string From, IReadOnlyList<string> To, string Kind, string Subject, string Body, string Language,
    IReadOnlyList<LineRef> Refs, LinePlace? Place, DateTimeOffset SentAt, bool RequiresAck, DateTimeOffset? AckDueAt,
    IReadOnlyDictionary<string, ReceiptView> Receipts)
{
    /// <summary>The conflict this message is the automatic notice of.</summary>
    public string? NoticeFor { get; init; }

    /// <summary>The record index of the entry that made this version (docs/record.md, "Served state"); absent inside an entry's own payload.</summary>
    public long? RecordIndex { get; init; }

    /// <summary>The message as the payload of its line-message, line-receipt and line-overdue entries gives it (no record index).</summary>
    public static LineMessageView ForEntry(LineMessage m) => Of(m) with { RecordIndex = null };

    public static LineMessageView Of(LineMessage m) => new(
        m.Id, m.Version, m.From, m.To, WireName.Of(m.Kind), m.Subject, m.Body, m.Language, m.Refs, m.Place, m.SentAt, m.RequiresAck, m.AckDueAt,
        m.Receipts.ToDictionary(kv => kv.Key, kv => new ReceiptView(kv.Value.DeliveredAt, kv.Value.ReadAt, kv.Value.AcknowledgedAt, kv.Value.AcknowledgedBy, kv.Value.Note, kv.Value.EscalationLevel, kv.Value.DueAt), StringComparer.Ordinal))
    {
        NoticeFor = m.NoticeFor,
        RecordIndex = m.RecordIndex,
    };
}
