using System.Text.Json;

namespace Deconflict.Events.Payloads;

/// <summary>
/// A <c>line-escalation-call</c> event: one attempt to call a contact, its outcome and status (none
/// when the target did not answer), and the webhook body sent (<see cref="Escalation"/>, the
/// <c>line-overdue</c> notice as the record's serialiser wrote it).
/// </summary>
public sealed record EscalationCallPayload(string Party, int Level, string Url, int Attempt, int Of, bool Ok, string Outcome, int? Status, DateTimeOffset At, JsonElement Escalation);
