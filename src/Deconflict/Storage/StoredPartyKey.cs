namespace Deconflict.Storage;

/// <summary>A party's witness key as its row holds it: the raw Ed25519 public key and when it was registered.</summary>
public sealed record StoredPartyKey(string Party, byte[] PublicKey, DateTimeOffset RegisteredAt);
