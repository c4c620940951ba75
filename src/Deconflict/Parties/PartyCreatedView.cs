using Deconflict.Api;

namespace Deconflict.Parties;

/// <summary>A new party with its first token (the secret shown this once).</summary>
public sealed record PartyCreatedView(PartyView Party, string Token, string TokenId);
