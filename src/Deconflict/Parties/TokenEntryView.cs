using Deconflict.Core.Model;

namespace Deconflict.Parties;

/// <summary>
/// A token as its record entries state it, whole as far as binding needs (docs/record.md, "Served
/// state"): the SHA-256 of its secret (hex) is safe to show its audience (the party concerned and
/// the admin), since the secret is 256 random bits. Party null: an admin token.
/// </summary>
public sealed record TokenEntryView(string Id, string? Party, string SecretSha256, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public static TokenEntryView Of(AccessToken t) => new(t.Id, t.PartyId, Convert.ToHexStringLower(t.SecretHash), t.CreatedAt, t.RevokedAt);
}
