using Deconflict.Record;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>party</c> event <c>key-stated</c> (migration 10): a witness key registered before its entries stated it whole.</summary>
public sealed record KeyStatedPayload(string Action, string Party, PartyKeyEntryView Key);
