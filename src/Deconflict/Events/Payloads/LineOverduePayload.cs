using Deconflict.Line;

namespace Deconflict.Events.Payloads;

/// <summary>
/// A <c>line-overdue</c> event: the escalation as the webhooks get it (<see cref="LineOverdueView"/>,
/// member for member) and the message as it now stands.
/// </summary>
public sealed record LineOverduePayload(
    string MessageId, string From, string Recipient, string Subject, int EscalationLevel, DateTimeOffset DueAt, DateTimeOffset? NextDueAt, LineMessageView Message);
