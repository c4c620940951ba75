namespace Deconflict.Parties;

/// <summary>The tokens of a party that a revocation of all of them ended.</summary>
public sealed record TokensRevokedView(string Party, IReadOnlyList<string> Revoked);
