namespace Deconflict.Record;

/// <summary>A party's registered Ed25519 witness key (base64 of the raw 32 bytes).</summary>
public sealed record PartyKeyView(string Party, string PublicKey);
