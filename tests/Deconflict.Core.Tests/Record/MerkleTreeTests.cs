using System.Security.Cryptography;
using Deconflict.Core.Record;

namespace Deconflict.Core.Tests.Record;

/// <summary>
/// RFC 9162 section 2.1 hashing and proofs: the Certificate Transparency reference vectors for the
/// standard 8-leaf tree, an independent recursive reference straight from the RFC's definitions,
/// every (index, size) and (from, to) pair up to 1,000, random pairs up to 1,000,000 leaves, and
/// tampered proofs.
/// </summary>
public class MerkleTreeTests
{
    // The CT test tree's leaves (certificate-transparency merkle tree tests, transparency-dev/merkle testonly).
    internal static readonly string[] CtLeaves = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];

    internal static readonly string[] CtRoots =
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

    public static TheoryData<long, long, string[]> CtInclusion => new()
    {
        { 0, 1, [] },
        { 0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"] },
        { 5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
        { 2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"] },
        { 1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"] },
    };

    public static TheoryData<long, long, string[]> CtConsistency => new()
    {
        { 1, 1, [] },
        { 1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"] },
        { 6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"] },
        { 2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"] },
    };

    [Fact]
    public void Ct_roots_reproduce_for_every_size_of_the_test_tree()
    {
        var tree = new MemoryMerkleNodes();
        Assert.Equal(CtRoots[0], Hex(tree.Root()));
        for (var i = 0; i < CtLeaves.Length; i++)
        {
            tree.Append(MerkleTree.LeafHash(Convert.FromHexString(CtLeaves[i])));
            Assert.Equal(CtRoots[i + 1], Hex(tree.Root()));
        }

        // Every earlier size from the same stored nodes.
        for (var size = 0; size <= 8; size++)
        {
            Assert.Equal(CtRoots[size], Hex(tree.Root(size)));
        }
    }

    [Theory]
    [MemberData(nameof(CtInclusion))]
    public void Ct_inclusion_proofs_reproduce_and_verify(long index, long size, string[] expected)
    {
        var tree = CtTree();
        var proof = MerkleTree.InclusionProof(index, size, tree);
        Assert.Equal(expected, proof.Select(Hex));
        Assert.True(MerkleTree.VerifyInclusion(index, size, tree.Node(0, index), proof, Convert.FromHexString(CtRoots[size])));
    }

    [Theory]
    [MemberData(nameof(CtConsistency))]
    public void Ct_consistency_proofs_reproduce_and_verify(long from, long to, string[] expected)
    {
        var tree = CtTree();
        var proof = MerkleTree.ConsistencyProof(from, to, tree);
        Assert.Equal(expected, proof.Select(Hex));
        Assert.True(MerkleTree.VerifyConsistency(from, to, Convert.FromHexString(CtRoots[from]), Convert.FromHexString(CtRoots[to]), proof));
    }

    [Fact]
    public void Proofs_match_the_rfc_recursion_for_every_pair_up_to_64()
    {
        var leaves = Enumerable.Range(0, 64).Select(i => MerkleTree.LeafHash(BitConverter.GetBytes(i))).ToArray();
        var tree = new MemoryMerkleNodes();
        foreach (var l in leaves)
        {
            tree.Append(l);
        }

        for (var n = 1; n <= 64; n++)
        {
            var d = leaves[..n];
            Assert.Equal(Hex(ReferenceMth(d)), Hex(tree.Root(n)));
            for (var m = 0; m < n; m++)
            {
                Assert.Equal(ReferencePath(m, d).Select(Hex), MerkleTree.InclusionProof(m, n, tree).Select(Hex));
            }

            for (var m = 1; m <= n; m++)
            {
                Assert.Equal(ReferenceSubproof(m, d, true).Select(Hex), MerkleTree.ConsistencyProof(m, n, tree).Select(Hex));
            }
        }
    }

    [Fact]
    public void Every_inclusion_and_consistency_proof_up_to_1000_verifies()
    {
        var tree = new MemoryMerkleNodes();
        for (var i = 0; i < 1000; i++)
        {
            tree.Append(MerkleTree.LeafHash(BitConverter.GetBytes(i)));
        }

        var roots = Enumerable.Range(0, 1001).Select(n => tree.Root(n)).ToArray();
        var checkedPairs = 0;
        for (var n = 1; n <= 1000; n++)
        {
            for (var m = 0; m < n; m++)
            {
                Assert.True(MerkleTree.VerifyInclusion(m, n, tree.Node(0, m), MerkleTree.InclusionProof(m, n, tree), roots[n]), $"inclusion ({m}, {n})");
            }

            for (var m = 0; m <= n; m++)
            {
                Assert.True(MerkleTree.VerifyConsistency(m, n, roots[m], roots[n], MerkleTree.ConsistencyProof(m, n, tree)), $"consistency ({m}, {n})");
                checkedPairs++;
            }
        }

        Assert.Equal(501_500, checkedPairs);
    }

    [Fact]
    public void Random_proofs_up_to_a_million_leaves_verify_and_fail_when_tampered()
    {
        const int size = 1_000_000;
        var tree = new MemoryMerkleNodes();
        Span<byte> leaf = stackalloc byte[4];
        for (var i = 0; i < size; i++)
        {
            BitConverter.TryWriteBytes(leaf, i);
            tree.Append(MerkleTree.LeafHash(leaf));
        }

        var rnd = new Random(9162);
        for (var k = 0; k < 300; k++)
        {
            var n = rnd.NextInt64(1, size + 1);
            var m = rnd.NextInt64(0, n);
            var root = tree.Root(n);
            var inclusion = MerkleTree.InclusionProof(m, n, tree);
            Assert.True(MerkleTree.VerifyInclusion(m, n, tree.Node(0, m), inclusion, root), $"inclusion ({m}, {n})");

            var from = rnd.NextInt64(1, n + 1);
            var fromRoot = tree.Root(from);
            var consistency = MerkleTree.ConsistencyProof(from, n, tree);
            Assert.True(MerkleTree.VerifyConsistency(from, n, fromRoot, root, consistency), $"consistency ({from}, {n})");

            // A flipped bit in the proof or the leaf, or the wrong index, must fail.
            if (inclusion.Count > 0)
            {
                var bad = inclusion.Select(h => (byte[])h.Clone()).ToList();
                bad[rnd.Next(bad.Count)][rnd.Next(32)] ^= 1;
                Assert.False(MerkleTree.VerifyInclusion(m, n, tree.Node(0, m), bad, root));
                var otherLeaf = (byte[])tree.Node(0, m).Clone();
                otherLeaf[rnd.Next(32)] ^= 0x80;
                Assert.False(MerkleTree.VerifyInclusion(m, n, otherLeaf, inclusion, root));
            }

            if (m + 1 < n)
            {
                Assert.False(MerkleTree.VerifyInclusion(m + 1, n, tree.Node(0, m), inclusion, root));
            }

            if (consistency.Count > 0)
            {
                var bad = consistency.Select(h => (byte[])h.Clone()).ToList();
                bad[rnd.Next(bad.Count)][rnd.Next(32)] ^= 1;
                Assert.False(MerkleTree.VerifyConsistency(from, n, fromRoot, root, bad));
                var otherRoot = (byte[])fromRoot.Clone();
                otherRoot[0] ^= 1;
                Assert.False(MerkleTree.VerifyConsistency(from, n, otherRoot, root, consistency));
            }
        }
    }

    [Fact]
    public void Out_of_range_requests_are_refused()
    {
        var tree = CtTree();
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.InclusionProof(8, 8, tree));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.InclusionProof(-1, 8, tree));
        Assert.Throws<ArgumentOutOfRangeException>(() => MerkleTree.ConsistencyProof(5, 4, tree));
        Assert.False(MerkleTree.VerifyInclusion(8, 8, tree.Node(0, 0), [], tree.Root()));
        Assert.False(MerkleTree.VerifyConsistency(3, 8, tree.Root(3), tree.Root(8), []));
    }

    private static MemoryMerkleNodes CtTree()
    {
        var tree = new MemoryMerkleNodes();
        foreach (var l in CtLeaves)
        {
            tree.Append(MerkleTree.LeafHash(Convert.FromHexString(l)));
        }

        return tree;
    }

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    // The RFC's definitions, recursively and naively (leaf hashes given), as an independent reference.
    private static byte[] ReferenceMth(byte[][] d) => d.Length switch
    {
        0 => SHA256.HashData([]),
        1 => d[0],
        _ => Node(ReferenceMth(d[..K(d.Length)]), ReferenceMth(d[K(d.Length)..])),
    };

    private static List<byte[]> ReferencePath(int m, byte[][] d)
    {
        if (d.Length == 1)
        {
            return [];
        }

        var k = K(d.Length);
        return m < k ? [.. ReferencePath(m, d[..k]), ReferenceMth(d[k..])] : [.. ReferencePath(m - k, d[k..]), ReferenceMth(d[..k])];
    }

    private static List<byte[]> ReferenceSubproof(int m, byte[][] d, bool b)
    {
        if (m == d.Length)
        {
            return b ? [] : [ReferenceMth(d)];
        }

        var k = K(d.Length);
        return m <= k ? [.. ReferenceSubproof(m, d[..k], b), ReferenceMth(d[k..])] : [.. ReferenceSubproof(m - k, d[k..], false), ReferenceMth(d[..k])];
    }

    private static int K(int n)
    {
        var k = 1;
        while (k * 2 < n)
        {
            k *= 2;
        }

        return k;
    }

    private static byte[] Node(byte[] l, byte[] r) => SHA256.HashData([0x01, .. l, .. r]);
}
