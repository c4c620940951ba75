using Deconflict.Core.Record;
using Microsoft.Data.Sqlite;

namespace Deconflict.Storage.Sqlite;

/// <summary>
/// The record's Merkle tree in the database: table <c>record_nodes</c> holds the hash of every
/// perfect subtree, keyed by <see cref="NodeId"/>. Readers use <see cref="Reader"/> for proofs; the
/// writer appends through <see cref="Appender"/>, which keeps the tree's frontier (the perfect
/// subtrees that make up the current size, at most 64) in memory, so an append reads nothing and
/// writes its leaf and the nodes it completes (two rows on average).
/// </summary>
internal static class SqliteRecordTree
{
    // Node (level, index) is stored under level * 2^48 + index: one integer key (the table's rowid,
    // SQLite's fastest lookup) for 2^48 leaves, far beyond any record.
    private const int IndexBits = 48;

    public static long NodeId(int level, long index) => ((long)level << IndexBits) | index;

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

    /// <summary>The writer's side: appends leaves inside the writer's transaction.</summary>
    public sealed class Appender(SqliteConnection connection) : IMerkleNodes, IDisposable
    {
        // Prepared on first use: the connection opens after the session is made.
        private RawStatement? _insert;

        // The perfect subtrees covering [0, Size), largest (leftmost) first.
        private List<(int Level, long Index, byte[] Hash)> _frontier = [];

        public long Size { get; private set; }

        /// <summary>Loads the frontier for the log's current size (the number of events).</summary>
        public void Load(SqliteConnection connection, long size)
        {
            using var reader = new Reader(connection);
            var frontier = new List<(int, long, byte[])>();
            long at = 0;
            while (at < size)
            {
                var level = 63 - (int)long.LeadingZeroCount(size - at);
                frontier.Add((level, at >> level, reader.Node(level, at >> level)));
                at += 1L << level;
            }

            _frontier = frontier;
            Size = size;
        }

        /// <summary>Appends leaf <see cref="Size"/> and stores the nodes it completes; returns an undo step for a rollback.</summary>
        public Action Append(byte[] leafHash)
        {
            var before = (Size, Frontier: _frontier);
            var completed = MerkleTree.NodesCompletedBy(Size, leafHash, this);
            _insert ??= new RawStatement(connection, "INSERT INTO record_nodes(id, hash) VALUES (?1, ?2)");
            foreach (var (level, index, hash) in completed)
            {
                _insert.Bind(1, NodeId(level, index)).Bind(2, hash).Execute();
            }

            // The completed nodes replace the frontier entries they absorbed (one per level below the top).
            var next = new List<(int, long, byte[])>(_frontier.Count + 1);
            next.AddRange(_frontier.Take(_frontier.Count - (completed.Count - 1)));
            next.Add(completed[^1]);
            _frontier = next;
            Size++;
            return () => (Size, _frontier) = before;
        }

        /// <summary>The root of the tree as it stands (committed or not) in this transaction.</summary>
        public byte[] Root()
        {
            if (_frontier.Count == 0)
            {
                return MerkleTree.EmptyRoot();
            }

            var hash = _frontier[^1].Hash;
            for (var k = _frontier.Count - 2; k >= 0; k--)
            {
                hash = MerkleTree.NodeHash(_frontier[k].Hash, hash);
            }

            return hash;
        }

        public void Dispose() => _insert?.Dispose();

        /// <summary>Only frontier nodes are asked for while appending: the left siblings of the new leaf's path.</summary>
        public byte[] Node(int level, long index)
        {
            foreach (var (l, i, h) in _frontier)
            {
                if (l == level && i == index)
                {
                    return h;
                }
            }

            throw new InvalidOperationException($"Merkle node ({level}, {index}) is not on the frontier.");
        }
    }
}
