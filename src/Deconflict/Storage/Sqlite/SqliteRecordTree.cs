using Deconflict.Core.Record;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The record's Merkle tree in the database: table <c>record_nodes</c> holds the hash of every
/// perfect subtree, keyed by <see cref="NodeId"/> in completion order. Readers use
/// <see cref="Reader"/> for proofs and to load the writer's frontier; the writer inserts the leaf
/// and the nodes each entry completes (two rows on average, SqliteRecordRepository).
/// </summary>
internal static class SqliteRecordTree
{
    /// <summary>
    /// The key of node (level, index): the index of the leaf whose append completes it, times 64,
    /// plus its level. One integer key (the table's rowid, SQLite's fastest lookup), and increasing
    /// in the order nodes are written, so every insert lands at the table's right edge: each commit
    /// rewrites one or two leaf pages of the table. The first layout (level * 2^48 + index) kept
    /// one append point per level, about twenty in the middle of the B-tree, where SQLite splits
    /// pages in half: 3.7 pages written per submission of the load (counted from the WAL's frames,
    /// docs/performance.md), a quarter of all the writer's pages. Schema migration 5 moved the keys.
    /// Valid while (index + 1) * 2^level stays below 2^57, far beyond any record.
    /// </summary>
    public static long NodeId(int level, long index) => ((((index + 1) << level) - 1) << 6) | (long)level;

    /// <summary>
    /// Migration 2's key of node (level, index), level * 2^48 + index: what the backfill of a
    /// schema-1 file writes, and what migration 5's SQL (which cannot call this) turns into
    /// <see cref="NodeId"/>. Keys of interior nodes (level 1 and up) are at least 2^48.
    /// </summary>
    public static long Migration2NodeId(int level, long index) => ((long)level << 48) | index;

    /// <summary>Reads stored nodes with one prepared statement (a request's proof reads O(log n) of them).</summary>
    public sealed class Reader : IMerkleNodes, IDisposable
    {
        private readonly SqliteCommand _select;
        private readonly SqliteParameter _id;

        public Reader(SqliteConnection connection, SqliteTransaction? transaction = null)
        {
            _select = connection.CreateCommand();
            _select.Transaction = transaction;
            _select.CommandText = "SELECT hash FROM record_nodes WHERE id = $id";
            _id = _select.Parameters.Add("$id", SqliteType.Integer);
        }

        public byte[] Node(int level, long index)
        {
            _id.Value = NodeId(level, index);
            return _select.ExecuteScalar() as byte[]
                ?? throw new InvalidDataException($"The record is missing Merkle node ({level}, {index}).");
        }

        public void Dispose() => _select.Dispose();
    }
}
