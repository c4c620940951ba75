using Deconflict.Core.Record;
using Deconflict.Storage.Sqlite;
using Npgsql;

namespace Deconflict.Storage.Postgres;

/// <summary>
/// The record's Merkle tree in table record_nodes, keyed as SQLite's (<see cref="SqliteRecordTree.NodeId"/>),
/// so both stores hold the same nodes under the same keys. <see cref="Reader"/> serves proofs;
/// <see cref="LoadFrontier"/> loads a <see cref="MerkleFrontier"/> (the perfect subtrees
/// that make up a size) in one query: the writer's, when a write transaction finds the record grown
/// under the head lock by another node, and one to take an earlier size's root from.
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

    /// <summary>Loads <paramref name="frontier"/> with the record of <paramref name="size"/> leaves, its nodes read in one query.</summary>
    public static void LoadFrontier(MerkleFrontier frontier, NpgsqlConnection c, NpgsqlTransaction tx, long size)
    {
        var ids = MerkleFrontier.NodesOf(size).Select(n => SqliteRecordTree.NodeId(n.Level, n.Index)).ToArray();
        var hashes = new Dictionary<long, byte[]>();
        using (var cmd = PostgresSql.Command(c, tx, "SELECT id, hash FROM record_nodes WHERE id = ANY($1)", ids))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                hashes[r.GetInt64(0)] = (byte[])r.GetValue(1);
            }
        }

        frontier.Load(size, new FrontierNodes(hashes));
    }

    /// <summary>The frontier's nodes as the one query read them, by id.</summary>
    private sealed class FrontierNodes(Dictionary<long, byte[]> hashes) : IMerkleNodes
    {
        public byte[] Node(int level, long index) =>
            hashes.GetValueOrDefault(SqliteRecordTree.NodeId(level, index)) ?? throw new InvalidDataException($"The record is missing Merkle node ({level}, {index}).");
    }
}
