using Deconflict.Parties;

namespace Deconflict.Events.Payloads;

/// <summary>A <c>party</c> event about one of its tokens: <c>token-issued</c>, <c>token-revoked</c> or <c>token-stated</c> (migration 9).</summary>
public sealed record PartyTokenPayload(string Action, string Party, string TokenId, TokenEntryView Token);
