using Deconflict.Core.Record;

namespace Deconflict.Core.Tests.Record;

/// <summary>
/// The writer's frontier against the Certificate Transparency test tree's roots (the vectors
/// <see cref="MerkleTreeTests"/> uses) and against a whole tree in memory: loaded at any size, it
/// appends the same nodes and gives the same roots, and an undo restores it exactly.
/// </summary>
public class MerkleFrontierTests
{
    private static readonly string[] CtLeaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    // Roots of the CT test tree of 0..8 leaves (certificate-transparency merkle tree tests).
    private static readonly string[] CtRoots =
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    [Fact]
    public void Appending_the_ct_leaves_gives_the_ct_roots_and_each_undo_the_root_before()
    {
        var frontier = new MerkleFrontier();
        Assert.Equal(CtRoots[0], Convert.ToHexStringLower(frontier.Root()));
        var undos = new List<Action>();
        for (var i = 0; i < CtLeaves.Length; i++)
        {
            undos.Add(frontier.Append(MerkleTree.LeafHash(Convert.FromHexString(CtLeaves[i]))).Undo);
            Assert.Equal(CtRoots[i + 1], Convert.ToHexStringLower(frontier.Root()));
            Assert.Equal(i + 1, frontier.Size);
        }

        for (var i = CtLeaves.Length - 1; i >= 0; i--)
        {
            undos[i]();
            Assert.Equal(CtRoots[i], Convert.ToHexStringLower(frontier.Root()));
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
