using Deconflict.Core.Record;
using Deconflict.Storage.Sqlite;
using Npgsql;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// The record's Merkle tree in table record_nodes, keyed as SQLite's (<see cref="SqliteRecordTree.NodeId"/>),
/// so both stores hold the same nodes under the same keys. <see cref="Reader"/> serves proofs;
/// <see cref="Frontier"/> is the writer's view of the perfect subtrees that make up the current
/// size, loaded from the database in each write transaction under the record head lock (another
/// node may have appended since the last one), so an append reads nothing more.
/// </summary>
internal static class PostgresRecordTree
{
    /// <summary>Reads stored nodes one by one (a proof reads O(log n) of them), inside a transaction or not.</summary>
    public sealed class Reader(NpgsqlConnection connection, NpgsqlTransaction? transaction = null) : IMerkleNodes, IDisposable
    {
        private readonly NpgsqlCommand _select = PostgresSql.Command(connection, transaction, "SELECT hash FROM record_nodes WHERE id = $1", 0L);

        public byte[] Node(int level, long index)
        {
            _select.Parameters[0].Value = SqliteRecordTree.NodeId(level, index);
            return _select.ExecuteScalar() as byte[]
                ?? throw new InvalidDataException($"The record is missing Merkle node ({level}, {index}).");
        }

        public void Dispose() => _select.Dispose();
    }

    /// <summary>The perfect subtrees covering [0, Size), the smallest (rightmost) on top.</summary>
    public sealed class Frontier : IMerkleNodes
    {
        private Node? _top;

        public long Size { get; private set; }

        /// <summary>Loads the frontier of the record of <paramref name="size"/> leaves, in one query.</summary>
        public void Load(NpgsqlConnection c, NpgsqlTransaction tx, long size)
        {
            var nodes = new List<(int Level, long Index)>();
            for (long at = 0; at < size;)
            {
                var level = 63 - (int)long.LeadingZeroCount(size - at);
                nodes.Add((level, at >> level));
                at += 1L << level;
            }

            var ids = nodes.Select(n => SqliteRecordTree.NodeId(n.Level, n.Index)).ToArray();
            var hashes = new Dictionary<long, byte[]>();
            using (var cmd = PostgresSql.Command(c, tx, "SELECT id, hash FROM record_nodes WHERE id = ANY($1)", ids))
            using (var r = cmd.ExecuteReader())
            {
                while (r.Read())
                {
                    hashes[r.GetInt64(0)] = (byte[])r.GetValue(1);
                }
            }

            Node? top = null;
            for (var i = 0; i < nodes.Count; i++)
            {
                var hash = hashes.GetValueOrDefault(ids[i]) ?? throw new InvalidDataException($"The record is missing Merkle node ({nodes[i].Level}, {nodes[i].Index}).");
                top = new Node(nodes[i].Level, nodes[i].Index, hash, top);
            }

            _top = top;
            Size = size;
        }

        /// <summary>Appends a leaf in memory: gives the nodes it completes (to store) and how to undo it.</summary>
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

        /// <summary>The root of the tree as it stands.</summary>
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
}
