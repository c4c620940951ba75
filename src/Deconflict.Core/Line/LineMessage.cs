using System.Collections.Immutable;

namespace Deconflict.Core.Line;

/// <summary>What a line message is, and so which references it must carry.</summary>
public enum MessageKind
{
    /// <summary>Anything; references optional.</summary>
    FreeText,

    /// <summary>Notice of an operation: references at least one operation.</summary>
    OperationNotice,

    /// <summary>Request to deconflict: references at least one conflict.</summary>
    DeconflictRequest,

    /// <summary>Report of unsafe conduct: references an alert, or gives a time and place.</summary>
    UnsafeConduct,
}

/// <summary>A reference from a message to an object of the service.</summary>
public sealed record LineRef(string Kind, string Id);

/// <summary>Where and when unsafe conduct happened, when no alert records it.</summary>
public sealed record LinePlace(double Lat, double Lng, DateTimeOffset Time);

/// <summary>
/// One recipient's receipt. <see cref="DueAt"/> is when the next escalation fires if the recipient has
/// not acknowledged by then; null when no acknowledgement is required, it was given, or the
/// highest escalation level was reached.
/// </summary>
public sealed record Receipt(
    DateTimeOffset? DeliveredAt,
    DateTimeOffset? ReadAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    string? Note,
    int EscalationLevel,
    DateTimeOffset? DueAt)
{
    public static Receipt Pending(DateTimeOffset? dueAt) => new(null, null, null, null, null, 0, dueAt);
}

/// <summary>
/// A message on the deconfliction line: from one party to others, with a receipt per recipient.
/// Immutable: every step (delivery, reading, acknowledgement, escalation) makes a new version.
/// </summary>
public sealed record LineMessage(
    string Id,
    long Version,
    string From,
    ImmutableArray<string> To,
    MessageKind Kind,
    string Subject,
    string Body,
    string Language,
    ImmutableArray<LineRef> Refs,
    LinePlace? Place,
    DateTimeOffset SentAt,
    bool RequiresAck,
    DateTimeOffset? AckDueAt,
    ImmutableSortedDictionary<string, Receipt> Receipts)
{
    /// <summary>
    /// The record index of the entry that made this version (docs/record.md, "Served state"); null
    /// for a version not yet written. Not part of the entry's own payload.
    /// </summary>
    public long? RecordIndex { get; init; }

    /// <summary>
    /// The conflict this message is the automatic notice of, or null. Acknowledging the notice
    /// acknowledges the conflict for that recipient, and the reverse.
    /// </summary>
    public string? NoticeFor { get; init; }

    /// <summary>The earliest pending escalation of any recipient, or null.</summary>
    public DateTimeOffset? NextDueAt => Receipts.Values.Where(r => r.DueAt is not null).Min(r => r.DueAt);

    public bool Concerns(string party) => From == party || To.Contains(party);
}

/// <summary>One escalation: a recipient missed its deadline and its level rose.</summary>
public sealed record Escalation(string Recipient, int Level, DateTimeOffset DueAt, DateTimeOffset? NextDueAt);

/// <summary>
/// The acknowledgement clock as pure functions of a message and the time. Each step returns the
/// next version of the message (or the same object when nothing changes).
/// </summary>
public static class LineClock
{
    /// <summary>A new message: every recipient pending, due at sent + ack_within when an acknowledgement is required.</summary>
    public static LineMessage Send(
        string id, string from, ImmutableArray<string> to, MessageKind kind, string subject, string body, string language,
        ImmutableArray<LineRef> refs, LinePlace? place, DateTimeOffset now, TimeSpan? ackWithin)
    {
        var due = ackWithin is { } w ? now + w : (DateTimeOffset?)null;
        var receipts = to.ToImmutableSortedDictionary(p => p, _ => Receipt.Pending(due), StringComparer.Ordinal);
        return new LineMessage(id, 1, from, to, kind, subject, body, language, refs, place, now, due is not null, due, receipts);
    }

    /// <summary>The message reached the recipient (stream push or read): the first time only.</summary>
    public static LineMessage Delivered(LineMessage m, string recipient, DateTimeOffset now) =>
        Update(m, recipient, r => r.DeliveredAt is null ? r with { DeliveredAt = now } : r);

    /// <summary>The recipient read it (explicitly): delivered then too; the first time only.</summary>
    public static LineMessage Read(LineMessage m, string recipient, DateTimeOffset now) =>
        Update(m, recipient, r => r.ReadAt is null ? r with { DeliveredAt = r.DeliveredAt ?? now, ReadAt = now } : r);

    /// <summary>
    /// The recipient acknowledged, by a named officer: its clock stops. Repeating it changes nothing
    /// (the first acknowledgement is the one on the record).
    /// </summary>
    public static LineMessage Acknowledge(LineMessage m, string recipient, string by, string? note, DateTimeOffset now) =>
        Update(m, recipient, r => r.AcknowledgedAt is not null
            ? r
            : r with { DeliveredAt = r.DeliveredAt ?? now, ReadAt = r.ReadAt ?? now, AcknowledgedAt = now, AcknowledgedBy = by, Note = note, DueAt = null });

    /// <summary>
    /// Every escalation due by <paramref name="now"/>: a pending recipient past its deadline goes up
    /// one level; the next deadline is one interval later, until <paramref name="maxLevel"/>. Deadlines
    /// missed while the service was down all fire, each at its own due time, in order.
    /// </summary>
    public static (LineMessage Message, ImmutableArray<Escalation> Escalations) Escalate(LineMessage m, DateTimeOffset now, TimeSpan interval, int maxLevel)
    {
        var escalations = ImmutableArray.CreateBuilder<Escalation>();
        var receipts = m.Receipts;
        foreach (var (party, receipt) in m.Receipts)
        {
            var r = receipt;
            while (r.AcknowledgedAt is null && r.DueAt is { } due && due <= now && r.EscalationLevel < maxLevel)
            {
                var level = r.EscalationLevel + 1;
                var next = level < maxLevel ? due + interval : (DateTimeOffset?)null;
                r = r with { EscalationLevel = level, DueAt = next };
                escalations.Add(new Escalation(party, level, due, next));
            }

            receipts = receipts.SetItem(party, r);
        }

        if (escalations.Count == 0)
        {
            return (m, []);
        }

        var ordered = escalations.OrderBy(e => e.DueAt).ThenBy(e => e.Recipient, StringComparer.Ordinal).ToImmutableArray();
        return (m with { Version = m.Version + 1, Receipts = receipts }, ordered);
    }

    private static LineMessage Update(LineMessage m, string recipient, Func<Receipt, Receipt> change)
    {
        if (!m.Receipts.TryGetValue(recipient, out var r))
        {
            throw new ArgumentException($"'{recipient}' is not a recipient of message {m.Id}.", nameof(recipient));
        }

        var next = change(r);
        return next == r ? m : m with { Version = m.Version + 1, Receipts = m.Receipts.SetItem(recipient, next) };
    }
}
