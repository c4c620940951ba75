using Deconflict.Core.Model;
using Deconflict.Events.Payloads;

namespace Deconflict.Record;

/// <summary>The record's own entries (witness cosignatures, reveals) and the witness keys' (public).</summary>
public static class RecordEvents
{
    public const string CosignatureEvent = "record-cosignature";
    public const string RevealEvent = "record-reveal";

    /// <summary>A witness key registered (<c>key-registered</c>): as posted and as stored.</summary>
    public static DomainEvent KeyRegistered(string? actor, string party, byte[] publicKey, DateTimeOffset now) =>
        new(EventTypes.Party, actor, [], RecordJsonContext.Write(
            new KeyRegisteredPayload("key-registered", party, Convert.ToBase64String(publicKey), PartyKeyEntryView.Of(party, publicKey, now)), RecordJsonContext.Default.KeyRegisteredPayload));

    /// <summary>A witness key registered before its entries stated it whole (<c>key-stated</c>, migration 10).</summary>
    public static DomainEvent KeyStated(PartyKeyEntryView key) =>
        new(EventTypes.Party, null, [], RecordJsonContext.Write(new KeyStatedPayload("key-stated", key.Party, key), RecordJsonContext.Default.KeyStatedPayload));

    /// <summary>Entry <paramref name="index"/> revealed to everyone by its actor (or the admin: <paramref name="by"/> null).</summary>
    public static DomainEvent Reveal(string? by, long index) =>
        new(RevealEvent, by, [], RecordJsonContext.Write(new RevealPayload(index, by), RecordJsonContext.Default.RevealPayload));

    /// <summary>A witness's cosignature of the head of <paramref name="size"/> entries.</summary>
    public static DomainEvent Cosignature(string party, long size, byte[] rootHash, long timestamp, byte[] signature) =>
        new(CosignatureEvent, party, [], RecordJsonContext.Write(
            new CosignaturePayload(party, size, Convert.ToHexStringLower(rootHash), timestamp, Convert.ToBase64String(signature)), RecordJsonContext.Default.CosignaturePayload));
}
