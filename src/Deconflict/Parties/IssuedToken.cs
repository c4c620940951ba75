namespace Deconflict.Parties;

public sealed record IssuedToken(string TokenId, string Token);
