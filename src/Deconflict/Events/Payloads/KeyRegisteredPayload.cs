using Deconflict.Record;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>party</c> event <c>key-registered</c>: the witness key (base64) as posted and as stored.</summary>
public sealed record KeyRegisteredPayload(string Action, string Party, string PublicKey, PartyKeyEntryView Key);
