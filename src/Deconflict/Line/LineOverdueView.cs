using Deconflict.Core.Line;

namespace Deconflict.Line;

/// <summary>
/// A `line-overdue` notice: which message escalated for which recipient, to what level, when it was
/// due and when the next escalation is. It is the escalation webhooks' body; the record's entry
/// (<see cref="Events.Payloads.LineOverduePayload"/>) has the same members and also the message as
/// it now stands, which binds the stored row to the record (docs/record.md).
/// </summary>
public sealed record LineOverdueView(string MessageId, string From, string Recipient, string Subject, int EscalationLevel, DateTimeOffset DueAt, DateTimeOffset? NextDueAt)
{
    public static LineOverdueView Of(LineMessage m, Escalation e) => new(m.Id, m.From, e.Recipient, m.Subject, e.Level, e.DueAt, e.NextDueAt);
}
