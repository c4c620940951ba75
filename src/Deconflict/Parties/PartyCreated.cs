using Deconflict.Core.Model;

namespace Deconflict.Parties;

/// <summary>A party as created, with its first token (the secret, shown this once).</summary>
public sealed record PartyCreated(Party Party, IssuedToken Token);
