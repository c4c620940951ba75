using Deconflict.Line;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>party</c> event <c>escalation-contacts-stated</c> (migration 11): the set as stored.</summary>
public sealed record EscalationContactsStatedPayload(string Action, string Party, EscalationContactsEntryView EscalationContacts);
