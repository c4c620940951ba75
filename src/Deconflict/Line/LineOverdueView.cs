using Deconflict.Core.Line;

namespace Deconflict.Line;

/// <summary>
/// A `line-overdue` notice: which message escalated for which recipient, to what level, when it was
/// due and when the next escalation is. The record's entry also carries <see cref="Message"/>, the
/// message as it now stands, which binds the stored row to the record (docs/record.md); the
/// escalation webhooks get the notice alone (<see cref="Message"/> null, left out of the JSON).
/// </summary>
public sealed record LineOverdueView(string MessageId, string From, string Recipient, string Subject, int EscalationLevel, DateTimeOffset DueAt, DateTimeOffset? NextDueAt)
{
    public LineMessageView? Message { get; init; }

    public static LineOverdueView Of(LineMessage m, Escalation e) => new(m.Id, m.From, e.Recipient, m.Subject, e.Level, e.DueAt, e.NextDueAt);
}
