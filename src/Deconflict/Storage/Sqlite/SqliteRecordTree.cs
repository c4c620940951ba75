using Deconflict.Core.Record;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The record's Merkle tree in the database: table <c>record_nodes</c> holds the hash of every
/// perfect subtree, keyed by <see cref="NodeId"/> in completion order. Readers use
/// <see cref="Reader"/> for proofs; the writer appends through <see cref="Appender"/>, which keeps
/// the tree's frontier (the perfect subtrees that make up the current size, at most 64) in memory,
/// so an append reads nothing and writes its leaf and the nodes it completes (two rows on average).
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

    /// <summary>
    /// The writer's side: appends leaves inside the writer's transaction, keeping the tree's
    /// frontier in memory (<see cref="MerkleFrontier"/>) and inserting the nodes each leaf completes.
    /// </summary>
    public sealed class Appender(SqliteConnection connection) : IDisposable
    {
        // Persistent (an append allocates one node, an undo keeps the old top): copying the
        // frontier's list per append (about 20 entries at a million leaves) was a tenth of what the
        // writer allocated per submission.
        private readonly MerkleFrontier _frontier = new();

        // Prepared on first use: the connection opens after the session is made.
        private RawStatement? _insert;

        public long Size => _frontier.Size;

        /// <summary>Loads the frontier for the log's current size (the number of events).</summary>
        public void Load(SqliteConnection connection, long size, SqliteTransaction? transaction = null)
        {
            using var reader = new Reader(connection, transaction);
            _frontier.Load(size, reader);
        }

        /// <summary>Appends a leaf: inserts the nodes it completes and returns how to undo the in-memory change.</summary>
        public Action Append(byte[] leafHash)
        {
            var (completed, undo) = _frontier.Append(leafHash);
            try
            {
                _insert ??= new RawStatement(connection, "INSERT INTO record_nodes(id, hash) VALUES (?1, ?2)");
                foreach (var (level, index, hash) in completed)
                {
                    _insert.Bind(1, NodeId(level, index)).Bind(2, hash).Execute();
                }
            }
            catch
            {
                // A failed insert leaves the frontier as it was: the caller journals no undo for it.
                undo();
                throw;
            }

            return undo;
        }

        /// <summary>The root of the tree as it stands.</summary>
        public byte[] Root() => _frontier.Root();

        public void Dispose() => _insert?.Dispose();
    }
}
