using Deconflict.Parties;

namespace Deconflict.Events.Payloads;

/// <summary>An <c>admin-token</c> event: <c>created</c>, or <c>stated</c> (migration 9).</summary>
public sealed record AdminTokenPayload(string Action, string TokenId, TokenEntryView Token);
