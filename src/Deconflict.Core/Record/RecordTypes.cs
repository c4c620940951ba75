using System.Collections.Immutable;

namespace Deconflict.Core.Record;

/// <summary>
/// A signed tree head: the record's size and root hash at <see cref="Time"/>, with the service's
/// Ed25519 signature over the C2SP checkpoint text of (origin, size, root).
/// </summary>
public sealed record RecordHead(long Size, byte[] RootHash, DateTimeOffset Time, byte[] Signature);

/// <summary>
/// A party's witness signature over a head: C2SP tlog-cosignature (cosignature/v1) over the
/// checkpoint text, made at <see cref="Time"/> (whole seconds) with the party's registered key.
/// </summary>
public sealed record Cosignature(string Party, long Size, byte[] RootHash, DateTimeOffset Time, byte[] Signature);

/// <summary>
/// One leaf as stored: its index, its leaf hash (from the tree), the entry bytes, the parties the
/// entry concerns (empty: every party) and whether it was revealed to everyone.
/// </summary>
public sealed record RecordLeaf(long Index, byte[] LeafHash, byte[] Entry, ImmutableArray<string> Parties, bool Revealed)
{
    /// <summary>The stored bytes are not an entry that hashes to the leaf (edited in place): shown to no party, flagged to all.</summary>
    public bool Damaged { get; init; }
}
