namespace Deconflict.Core.Record;

/// <summary>
/// A whole Merkle tree in memory, built by appending leaf hashes: what a verifier uses to recompute
/// the record's root from the leaves it downloaded. About 64 bytes of hashes per leaf (the leaf and,
/// on average, one interior node).
/// </summary>
public sealed class MemoryMerkleNodes : IMerkleNodes
{
    private readonly List<List<byte[]>> _levels = [[]];

    /// <summary>Number of leaves appended.</summary>
    public long Size => _levels[0].Count;

    /// <summary>
    /// Appends a leaf hash and stores the perfect subtrees it completes; returns them (level 0, the
    /// leaf, first), for a store that keeps the same nodes. Amortised O(1) hashes.
    /// </summary>
    public IReadOnlyList<(int Level, long Index, byte[] Hash)> Append(byte[] leafHash)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != MerkleTree.HashSize)
        {
            throw new ArgumentException($"A leaf hash has {MerkleTree.HashSize} bytes.", nameof(leafHash));
        }

        var completed = MerkleTree.NodesCompletedBy(Size, leafHash, this);
        foreach (var (level, index, hash) in completed)
        {
            if (level == _levels.Count)
            {
                _levels.Add([]);
            }

            // Nodes complete in order at every level, so each is the next of its level.
            if (_levels[level].Count != index)
            {
                throw new InvalidOperationException($"Node ({level}, {index}) completed out of order.");
            }

            _levels[level].Add(hash);
        }

        return completed;
    }

    /// <inheritdoc/>
    public byte[] Node(int level, long index) => _levels[level][(int)index];

    /// <summary>The root of the first <paramref name="size"/> leaves (all of them by default).</summary>
    public byte[] Root(long? size = null) => MerkleTree.Root(size ?? Size, this);
}
