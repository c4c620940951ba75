using Deconflict.Core.Model;
using Deconflict.Core.Record;
using Deconflict.Service;
using Deconflict.Storage;

namespace Deconflict.Record;

/// <summary>
/// The record's writes on the writer (signing heads is <see cref="RecordHeads"/>'): witness
/// cosignatures that refuse a split view, reveals, and the parties' witness keys. Each runs inside
/// <see cref="WriteQueue"/>; what the write session cannot read (heads, cosignatures, keys, leaves)
/// is read from the store's last committed snapshot.
/// </summary>
public sealed class RecordCommands(IDeconflictStore store, RecordKey key)
{
    /// <summary>Refuses the admin, who has no witness key; the endpoint asks before reading a body, so this refusal comes first.</summary>
    public static Refusal? RequireWitness(Caller caller) =>
        caller.PartyId is null ? Refusal.Forbidden("Cosignatures are a party's: the admin has no witness key.") : null;

    /// <summary>The admin and observers see every entry; a party those that concern it or every party, and revealed ones.</summary>
    public static bool MaySee(Caller caller, RecordLeaf leaf) =>
        caller.SeesEverything || leaf.Revealed || leaf.Parties.IsDefaultOrEmpty || (caller.PartyId is { } p && leaf.Parties.Contains(p));

    /// <summary>
    /// Stores the caller's cosignature of a head the service signed, verified with its registered
    /// key; the same head witnessed again returns the cosignature kept before.
    /// </summary>
    public async ValueTask<Outcome<Cosignature>> CosignAsync(WriteContext ctx, Caller caller, CosignatureDraft draft)
    {
        if (RequireWitness(caller) is { } forbidden)
        {
            return forbidden;
        }

        var party = caller.PartyId!;
        var (size, root, timestamp, signature) = draft;
        if (store.PartyKey(party) is not { } partyKey)
        {
            return new Refusal(RefusalReason.InvalidState, $"Party '{party}' has no witness key: register one with PUT /v1/parties/{party}/key first.");
        }

        var head = store.GetHead(size);
        if (head is null || !head.RootHash.AsSpan().SequenceEqual(root))
        {
            return new Refusal(RefusalReason.UnknownHead, $"The service signed no head of size {size} with root {Convert.ToHexStringLower(root)}.");
        }

        var message = SignedNote.CosignedMessage(key.CheckpointText(size, root), timestamp);
        if (!SignedNote.Verify(partyKey, message, signature))
        {
            return new Refusal(RefusalReason.InvalidSignature, $"The signature does not verify with party '{party}''s registered key over cosignature/v1 of that head at time {timestamp}.");
        }

        // The last head this party witnessed must be a prefix of this one: the same root at the
        // same size, or a consistency proof from it. Anything else means the service showed this
        // party another history than it holds now (a split view, or a rewrite): refuse.
        if (store.LastCosignature(party) is { } last)
        {
            if (last.Size > size)
            {
                return new Refusal(RefusalReason.SplitView, $"Party '{party}' already witnessed a larger head (size {last.Size}); a smaller one cannot follow it.").With("last_size", last.Size);
            }

            var proof = store.ConsistencyProof(last.Size, size);
            if (!MerkleTree.VerifyConsistency(last.Size, size, last.RootHash, root, proof))
            {
                return new Refusal(RefusalReason.SplitView, $"This head is not consistent with the head of size {last.Size} that party '{party}' witnessed before: the record's history differs from what it was shown.")
                    .With("last_size", last.Size).With("last_root_hash", Convert.ToHexStringLower(last.RootHash));
            }

            if (last.Size == size)
            {
                return last;
            }
        }

        var cosignature = new Cosignature(party, size, root, DateTimeOffset.FromUnixTimeSeconds(timestamp), signature);
        await ctx.Store.Record.InsertCosignatureAsync(cosignature);
        await ctx.EmitAsync(RecordEvents.Cosignature(party, size, root, timestamp, signature));
        return cosignature;
    }

    /// <summary>
    /// Makes entry <paramref name="index"/> readable by every party (its actor or the admin may);
    /// returns its leaf. <paramref name="named"/> is the index as the caller wrote it, for the refusal.
    /// </summary>
    public async ValueTask<Outcome<RecordLeaf>> RevealAsync(WriteContext ctx, Caller caller, long index, string named)
    {
        var found = store.ReadRecord(index, index + 1);
        var leaf = found.Count == 1 ? found[0] : null;
        var entry = leaf is null ? null : RecordEntry.Parse(leaf.Entry);
        if (leaf is null || entry is null || !MaySee(caller, leaf))
        {
            return Refusal.NotFound("record entry", named);
        }

        if (!caller.IsAdmin && entry.Actor != caller.PartyId)
        {
            return Refusal.Forbidden($"Only the entry's actor ('{entry.Actor ?? "the service"}') or the admin may reveal entry {index}.");
        }

        if (await ctx.Store.Record.RevealAsync(index, caller.PartyId, ctx.Now))
        {
            await ctx.EmitAsync(RecordEvents.Reveal(caller.PartyId, index));
        }

        return leaf;
    }

    /// <summary>Registers (or replaces) the party's Ed25519 witness key; the party itself or the admin may.</summary>
    public async ValueTask<Outcome<byte[]>> RegisterKeyAsync(WriteContext ctx, Caller caller, string party, byte[] publicKey)
    {
        if (Permissions.SelfOrAdmin(caller, party, "register its key") is { } forbidden)
        {
            return forbidden;
        }

        if (await ctx.Store.Parties.GetAsync(party) is null)
        {
            return Refusal.NotFound("party", party);
        }

        await ctx.Store.Parties.SetKeyAsync(party, publicKey, ctx.Now);
        await ctx.EmitAsync(RecordEvents.KeyRegistered(caller.PartyId, party, publicKey, ctx.Now));
        return publicKey;
    }
}
