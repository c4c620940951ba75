using Deconflict.Line;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>party</c> event <c>escalation-contacts-set</c>: the contacts as posted, and the set as stored.</summary>
public sealed record EscalationContactsSetPayload(string Action, string Party, IReadOnlyList<EscalationContactBody> Contacts, EscalationContactsEntryView EscalationContacts);
