namespace Deconflict.Core.Record;

/// <summary>
/// The writer's view of the record's tree: the perfect subtrees that make up its current size (at
/// most 64, the smallest rightmost), so an append reads no stored node and gives the nodes it
/// completes (two on average) for the store to keep. Persistent: an append allocates one node and
/// keeps the old top, so <see cref="Append"/>'s undo restores the frontier in O(1). Not
/// thread-safe: it belongs to the single writer.
/// </summary>
public sealed class MerkleFrontier : IMerkleNodes
{
    private Node? _top;

    /// <summary>The number of leaves the frontier covers.</summary>
    public long Size { get; private set; }

    /// <summary>The (level, index) of the perfect subtrees covering [0, size), largest (leftmost) first.</summary>
    public static IReadOnlyList<(int Level, long Index)> NodesOf(long size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var nodes = new List<(int Level, long Index)>();
        for (long at = 0; at < size;)
        {
            var level = 63 - (int)long.LeadingZeroCount(size - at);
            nodes.Add((level, at >> level));
            at += 1L << level;
        }

        return nodes;
    }

    /// <summary>Takes the frontier of a record of <paramref name="size"/> leaves, its nodes read from <paramref name="nodes"/>.</summary>
    public void Load(long size, IMerkleNodes nodes)
    {
        Node? top = null;
        foreach (var (level, index) in NodesOf(size))
        {
            top = new Node(level, index, nodes.Node(level, index), top);
        }

        (_top, Size) = (top, size);
    }

    /// <summary>Appends a leaf in memory: gives the nodes it completes (to store, level 0 first) and how to undo it.</summary>
    public (IReadOnlyList<(int Level, long Index, byte[] Hash)> Completed, Action Undo) Append(byte[] leafHash)
    {
        var (size, top) = (Size, _top);
        var completed = MerkleTree.NodesCompletedBy(Size, leafHash, this);

        // The completed subtrees below the new top were the frontier's right end.
        var left = _top;
        for (var k = 1; k < completed.Count; k++)
        {
            left = left!.Left;
        }

        var (topLevel, topIndex, topHash) = completed[^1];
        _top = new Node(topLevel, topIndex, topHash, left);
        Size++;
        return (completed, () => (Size, _top) = (size, top));
    }

    /// <summary>The root of the tree as it stands: O(log n) hashes.</summary>
    public byte[] Root()
    {
        if (_top is null)
        {
            return MerkleTree.EmptyRoot();
        }

        var hash = _top.Hash;
        for (var n = _top.Left; n is not null; n = n.Left)
        {
            hash = MerkleTree.NodeHash(n.Hash, hash);
        }

        return hash;
    }

    /// <summary>Only frontier nodes are asked for while appending: the left siblings of the new leaf's path.</summary>
    byte[] IMerkleNodes.Node(int level, long index)
    {
        for (var n = _top; n is not null; n = n.Left)
        {
            if (n.Level == level && n.Index == index)
            {
                return n.Hash;
            }
        }

        throw new InvalidOperationException($"Merkle node ({level}, {index}) is not on the frontier.");
    }

    private sealed record Node(int Level, long Index, byte[] Hash, Node? Left);
}
