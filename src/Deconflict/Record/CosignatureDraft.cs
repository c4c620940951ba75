using Deconflict.Core.Record;
using Deconflict.Service;

namespace Deconflict.Record;

/// <summary>A validated cosignature body: the head it names, the Unix seconds it was signed at and the Ed25519 signature.</summary>
public sealed record CosignatureDraft(long Size, byte[] RootHash, long Timestamp, byte[] Signature)
{
    /// <summary>The last second DateTimeOffset holds (9999-12-31T23:59:59Z), as Unix seconds.</summary>
    private const long MaxUnixSeconds = 253_402_300_799;

    /// <summary>
    /// Checks the body's form off the writer's thread, the first problem found reported with its
    /// pointer; the timestamp must be inside the window around <paramref name="now"/>, the service's clock.
    /// </summary>
    public static Outcome<CosignatureDraft> Parse(CosignatureBody body, DeconflictOptions options, DateTimeOffset now)
    {
        var root = RecordBytes.Hex(body.RootHash);
        var signature = RecordBytes.Base64(body.Signature);
        if (body.Size is not ({ } size and >= 0))
        {
            return Refusal.Invalid("size must be the head's size, a whole number.", "/size");
        }

        if (root is not { Length: MerkleTree.HashSize })
        {
            return Refusal.Invalid("root_hash must be the head's root hash, 64 hex digits.", "/root_hash");
        }

        if (body.Timestamp is not ({ } timestamp and > 0))
        {
            return Refusal.Invalid("timestamp must be the Unix seconds of the signed cosignature/v1 message.", "/timestamp");
        }

        // The timestamp becomes the cosignature's time: inside the window around the service's clock.
        if (options.Times.Check(DateTimeOffset.UnixEpoch.AddSeconds(Math.Min(timestamp, MaxUnixSeconds)), now, "/timestamp") is { } outside)
        {
            return outside;
        }

        if (signature is not { Length: 64 })
        {
            return Refusal.Invalid("signature must be the base64 of a 64-byte Ed25519 signature.", "/signature");
        }

        return new CosignatureDraft(size, root, timestamp, signature);
    }
}
