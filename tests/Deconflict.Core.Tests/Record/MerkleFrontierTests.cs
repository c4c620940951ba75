using Deconflict.Core.Record;

namespace Deconflict.Core.Tests.Record;

/// <summary>
/// The writer's frontier against the Certificate Transparency test tree's roots (the vectors of
/// <see cref="MerkleTreeTests"/>) and against a whole tree in memory: loaded at any size, it appends
/// the same nodes and gives the same roots, and an undo restores it exactly.
/// </summary>
public class MerkleFrontierTests
{
    [Fact]
    public void Appending_the_ct_leaves_gives_the_ct_roots_and_each_undo_the_root_before()
    {
        var frontier = new MerkleFrontier();
        Assert.Equal(MerkleTreeTests.CtRoots[0], Convert.ToHexStringLower(frontier.Root()));
        var undos = new List<Action>();
        for (var i = 0; i < MerkleTreeTests.CtLeaves.Length; i++)
        {
            undos.Add(frontier.Append(MerkleTree.LeafHash(Convert.FromHexString(MerkleTreeTests.CtLeaves[i]))).Undo);
            Assert.Equal(MerkleTreeTests.CtRoots[i + 1], Convert.ToHexStringLower(frontier.Root()));
            Assert.Equal(i + 1, frontier.Size);
        }

        for (var i = MerkleTreeTests.CtLeaves.Length - 1; i >= 0; i--)
        {
            undos[i]();
            Assert.Equal(MerkleTreeTests.CtRoots[i], Convert.ToHexStringLower(frontier.Root()));
            Assert.Equal(i, frontier.Size);
        }
    }

    [Fact]
    public void Loaded_at_every_size_up_to_300_it_completes_the_nodes_a_whole_tree_stores()
    {
        var whole = new MemoryMerkleNodes();
        var leaves = Enumerable.Range(0, 301).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToArray();
        for (var size = 0; size < 300; size++)
        {
            var frontier = new MerkleFrontier();
            frontier.Load(size, whole);
            Assert.Equal(whole.Root(), frontier.Root());

            var (completed, _) = frontier.Append(leaves[size]);
            var expected = whole.Append(leaves[size]);
            Assert.Equal(expected.Select(n => (n.Level, n.Index, Convert.ToHexString(n.Hash))), completed.Select(n => (n.Level, n.Index, Convert.ToHexString(n.Hash))));
            Assert.Equal(whole.Root(), frontier.Root());
        }
    }

    [Theory]
    [InlineData(0, new int[0], new long[0])]
    [InlineData(1, new[] { 0 }, new long[] { 0 })]
    [InlineData(6, new[] { 2, 1 }, new long[] { 0, 2 })]
    [InlineData(7, new[] { 2, 1, 0 }, new long[] { 0, 2, 6 })]
    [InlineData(8, new[] { 3 }, new long[] { 0 })]
    [InlineData(13, new[] { 3, 2, 0 }, new long[] { 0, 2, 12 })]
    public void The_frontier_of_a_size_is_its_binary_decomposition_largest_first(long size, int[] levels, long[] indexes) =>
        Assert.Equal(levels.Zip(indexes), MerkleFrontier.NodesOf(size));
}
