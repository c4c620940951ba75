namespace Deconflict.Record;

/// <summary>A party's registered Ed25519 witness key (base64) as its record entry states it (docs/record.md, "Served state").</summary>
public sealed record PartyKeyEntryView(string Party, string PublicKey, DateTimeOffset RegisteredAt)
{
    public static PartyKeyEntryView Of(string party, byte[] publicKey, DateTimeOffset registeredAt) => new(party, Convert.ToBase64String(publicKey), registeredAt);
}
